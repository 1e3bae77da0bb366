"""Spreadsheet import of a legacy catalogue: checked in full, then all-or-nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from archives_site.models import AuditEvent
from archives_site.search import search_ids
from holdings import codes, imports
from holdings.models import ImportJob, ImportStatus, Item, NumberCounter
from tests.factories import ItemFactory, category, retention

HEADER = [
    "档号",
    "门类",
    "年度",
    "保管期限",
    "机构问题",
    "件号",
    "文号",
    "责任者",
    "题名",
    "日期",
    "页数",
    "密级",
    "备注",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def csv_file(rows: list[list[Any]], *, encoding: str = "utf-8", header: list[str] = HEADER) -> SimpleUploadedFile:
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return SimpleUploadedFile("目录.csv", text.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], *, header: list[str] = HEADER) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile("目录.xlsx", content.getvalue())


def run_import(actor, fonds, upload, capture, *, dry_run: bool = False, keep: bool = False) -> ImportJob:
    with capture(execute=True):
        job = imports.import_start(
            actor=actor, fonds=fonds, uploaded_file=upload, dry_run=dry_run, keep_given_codes_as_original=keep
        )
    job.refresh_from_db()
    return job


def row(number: Any = "", title: str = "关于村务公开工作的通知", **overrides: Any) -> list[Any]:
    values = {
        "档号": "",
        "门类": "WS",
        "年度": "2015",
        "保管期限": "Y",
        "机构问题": "BGS",
        "件号": number,
        "文号": "青石委〔2015〕1号",
        "责任者": "青石村民委员会",
        "题名": title,
        "日期": "20150312",
        "页数": "2",
        "密级": "",
        "备注": "",
        **overrides,
    }
    return [values[name] for name in HEADER]


def counters() -> dict[str, int]:
    return dict(NumberCounter.objects.values_list("key", "last_number"))


def errors_by_row(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in job.errors_preview:
        found.setdefault(error["row"], []).append((error["column"], error["value"]))
    return found


def test_a_clean_utf8_csv_is_imported_with_template_codes_and_found_by_search(
    village_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.village_a1_fonds
    upload = csv_file(
        [
            row(1, "关于修建青石村文化礼堂的请示", 档号="C101-WS·2015-Y-BGS-0001"),
            row(2, "青石村二〇一五年度工作总结", 档号="C101-WS·2015-Y-BGS-0002"),
            row("", "关于调整村民小组长的通知", 机构问题=""),
        ],
        encoding="utf-8-sig",
    )

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert (job.status, job.encoding, job.error_count) == (ImportStatus.DONE, "utf-8-sig", 0)
    assert (job.total_rows, job.processed_rows, job.imported_count) == (3, 3, 3)
    imported = {item.title: item for item in Item.objects.filter(fonds=fonds)}
    assert imported["关于修建青石村文化礼堂的请示"].reference_code == "C101-WS·2015-Y-BGS-0001"
    assert imported["青石村二〇一五年度工作总结"].reference_code == "C101-WS·2015-Y-BGS-0002"
    assert imported["关于调整村民小组长的通知"].reference_code == "C101-WS·2015-Y-0001"
    item = imported["关于修建青石村文化礼堂的请示"]
    assert (item.status, item.date, item.page_count, item.doc_number) == ("filed", "20150312", 2, "青石委〔2015〕1号")
    assert (item.creating_unit_id, item.custodian_unit_id, item.created_by) == (
        fonds.creating_unit_id,
        fonds.custodian_unit_id,
        village_archivist,
    )
    assert search_ids(Item.objects.all(), "文化礼堂").ids == [item.pk]
    assert search_ids(Item.objects.all(), "WS·2015-Y-BGS-0002").ids == [imported["青石村二〇一五年度工作总结"].pk]


def test_a_gbk_csv_is_detected_and_imported(village_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file([row(1, "关于堃山片区土地承包的决定")], encoding="gbk")

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert (job.status, job.encoding) == (ImportStatus.DONE, "gb18030")
    assert Item.objects.get().title == "关于堃山片区土地承包的决定"


def test_a_gb18030_csv_with_characters_outside_gbk_is_imported(
    village_archivist, world, django_capture_on_commit_callbacks
):
    upload = csv_file([row(1, "𠮷䶮两户宅基地审批表")], encoding="gb18030")

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert (job.status, job.encoding) == (ImportStatus.DONE, "gb18030")
    assert Item.objects.get().title == "𠮷䶮两户宅基地审批表"


def test_utf8_is_recognised_when_the_sniffed_bytes_end_inside_a_character(
    village_archivist, world, django_capture_on_commit_callbacks
):
    title = "关于村务公开工作的通知" * 3  # 33 three-byte characters
    rows = [row(number, title) for number in range(1, 800)]
    body = csv_file(rows).read()
    assert body[: imports.SNIFF_BYTES].decode("utf-8", errors="replace").endswith("\ufffd")  # the cut is real

    job = run_import(
        village_archivist,
        world.village_a1_fonds,
        SimpleUploadedFile("目录.csv", body),
        django_capture_on_commit_callbacks,
    )

    assert (job.status, job.encoding, job.imported_count) == (ImportStatus.DONE, "utf-8", 799)
    assert set(Item.objects.values_list("title", flat=True)) == {title}


def test_an_xlsx_with_excel_date_cells_is_imported(village_archivist, world, django_capture_on_commit_callbacks):
    upload = xlsx_file(
        [
            row(1, 日期=dt.datetime(2015, 3, 12), 年度=2015, 页数=3),
            row(2, 日期=dt.date(1945, 8, 15), 年度=1945),
            row(3, 日期="[19450815]", 年度="1945"),
        ]
    )

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    dates = dict(Item.objects.values_list("number", "date"))
    assert dates == {1: "20150312", 2: "19450815", 3: "19450815"}
    assert Item.objects.get(number=3).display_date == "[19450815]"
    assert Item.objects.get(number=1).page_count == 3


def test_xlsx_problems_are_reported_at_the_row_the_spreadsheet_shows(
    village_archivist, world, django_capture_on_commit_callbacks
):
    blank = [None] * len(HEADER)
    upload = xlsx_file([row(1), blank, row(2, 日期="2015-13-01")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert errors_by_row(job) == {4: [("日期", "2015-13-01")]}


def test_a_file_with_bad_rows_is_refused_with_every_problem_and_nothing_written(
    village_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.village_a1_fonds
    ItemFactory(fonds=fonds, year=2016)  # 件号 1 of WS·2016-Y-BGS exists already
    items_before, counters_before = Item.objects.count(), counters()
    upload = csv_file(
        [
            row(1),
            row(2, 日期="2015-02-30"),  # row 3: no such day
            row(3, title=""),  # row 4: no title
            row(4, 保管期限="半永久"),  # row 5
            row(1),  # row 6: duplicates row 2
            row(6, 档号="C101-WS·2015-Y-BGS-0009"),  # row 7: code does not match 件号 6
            row(1, 年度="2016", 日期="20160312"),  # row 8: taken in the catalogue
            row(7, 年度="15", 页数="两页"),  # row 9: two problems
        ]
    )

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert errors_by_row(job) == {
        3: [("日期", "2015-02-30")],
        4: [("题名", "")],
        5: [("保管期限", "半永久")],
        6: [("件号", "1")],
        7: [("档号", "C101-WS·2015-Y-BGS-0009")],
        8: [("件号", "1")],
        9: [("年度", "15"), ("页数", "两页")],
    }
    assert (job.error_count, job.total_rows, job.imported_count) == (8, 8, 0)
    assert all(error["problem"] and error["fix"] for error in job.errors_preview)
    assert Item.objects.count() == items_before
    assert counters() == counters_before


def test_a_missing_required_column_refuses_the_whole_file(village_archivist, world, django_capture_on_commit_callbacks):
    left_out = ("保管期限", "档号")  # without a 档号 column, 保管期限 cannot come from the codes
    header = [name for name in HEADER if name not in left_out]
    upload = csv_file(
        [[value for name, value in zip(HEADER, row(1), strict=True) if name not in left_out]], header=header
    )

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert "保管期限" in job.message
    assert not Item.objects.exists()


def test_unknown_columns_are_named_once_and_ignored(village_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file([[*row(1), "一号库"], [*row(2), "二号库"]], header=[*HEADER, "存放位置"])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert job.message.count("存放位置") == 1


def test_a_dry_run_checks_every_row_and_writes_nothing(village_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file([row(1), row(2)])

    job = run_import(
        village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks, dry_run=True
    )

    assert (job.status, job.total_rows, job.error_count) == (ImportStatus.CHECKED, 2, 0)
    assert not Item.objects.exists()
    assert not NumberCounter.objects.exists()


def test_numbering_continues_after_the_highest_imported_number(
    village_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.village_a1_fonds
    ItemFactory(fonds=fonds)
    ItemFactory(fonds=fonds)  # the class WS·2015-Y-BGS holds 1 and 2
    upload = csv_file([row(5), row("", "无件号的第一件"), row(3), row("", "无件号的第二件"), row(4)])

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    assert Item.objects.get(title="无件号的第一件").reference_code == "C101-WS·2015-Y-BGS-0006"
    assert Item.objects.get(title="无件号的第二件").reference_code == "C101-WS·2015-Y-BGS-0007"
    later = ItemFactory(fonds=fonds)
    assert later.reference_code == "C101-WS·2015-Y-BGS-0008"
    assert sorted(Item.objects.values_list("number", flat=True)) == list(range(1, 9))


def test_legacy_long_term_retention_is_imported_as_thirty_years(
    village_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.village_a1_fonds
    upload = csv_file(
        [
            row(1, 年度="1998", 保管期限="长期", 档号="C101-WS·1998-C-BGS-0001", 日期="19980506"),
            row(2, 年度="1998", 保管期限="短期", 日期="19980507"),
        ]
    )

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    long_term, short_term = Item.objects.order_by("number")
    assert (long_term.retention, short_term.retention) == (retention("D30"), retention("D10"))
    assert long_term.reference_code == "C101-WS·1998-C-BGS-0001"  # as written on the box
    assert short_term.reference_code == "C101-WS·1998-D10-BGS-0002"
    assert "长期" in long_term.note and "短期" in short_term.note
    assert ItemFactory(fonds=fonds, year=1998, retention=retention("D30")).number == 2


def test_mismatching_codes_can_be_kept_as_original_codes_and_renumbered(
    village_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.village_a1_fonds
    upload = csv_file([row(1), row(1, "旧号档案", 档号="QS-1-2015-017"), row(2)])

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks, keep=True)

    assert job.status == ImportStatus.DONE, job.errors_preview
    renumbered = Item.objects.get(title="旧号档案")
    assert (renumbered.original_code, renumbered.reference_code) == ("QS-1-2015-017", "C101-WS·2015-Y-BGS-0003")
    assert search_ids(Item.objects.all(), "qs-1-2015-017").ids == [renumbered.pk]


def test_the_error_report_is_a_downloadable_csv(village_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file([row(1), row(2, 日期="昨天"), row(3, title="")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.report
    with job.report.open("rb") as report:
        content = report.read()
    assert content.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 only with a BOM
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列", "值", "问题", "如何修改", "级别"]
    assert [(line[0], line[1], line[2], line[5]) for line in lines[1:]] == [
        ("3", "日期", "昨天", "错误"),
        ("4", "题名", "", "错误"),
    ]


def test_an_actor_out_of_scope_cannot_start_an_import(village_archivist, world, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied), django_capture_on_commit_callbacks(execute=True):
        imports.import_start(
            actor=village_archivist, fonds=world.village_b1_fonds, uploaded_file=csv_file([row(1)]), dry_run=False
        )

    assert not ImportJob.objects.exists()
    assert not Item.objects.exists()


def test_a_failure_during_the_insert_writes_nothing(
    village_archivist, world, django_capture_on_commit_callbacks, monkeypatch
):
    fonds = world.village_a1_fonds
    ItemFactory(fonds=fonds)
    items_before, counters_before, audit_before = Item.objects.count(), counters(), AuditEvent.objects.count()
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)  # the first batches reach the table before the failure
    fill = imports._fill
    calls = 0

    def failing_fill(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("disk full")
        fill(*args, **kwargs)

    monkeypatch.setattr(imports, "_fill", failing_fill)

    job = run_import(
        village_archivist, fonds, csv_file([row("") for _ in range(6)]), django_capture_on_commit_callbacks
    )

    assert job.status == ImportStatus.FAILED
    assert "disk full" in job.message
    assert Item.objects.count() == items_before
    assert counters() == counters_before
    assert AuditEvent.objects.count() == audit_before


def test_a_done_job_is_not_imported_twice(village_archivist, world, django_capture_on_commit_callbacks):
    job = run_import(
        village_archivist, world.village_a1_fonds, csv_file([row(""), row("")]), django_capture_on_commit_callbacks
    )

    again = imports.import_run(job_id=job.pk)

    assert again.status == ImportStatus.DONE
    assert Item.objects.count() == 2


def test_an_import_is_audited_once_with_its_counts(village_archivist, world, django_capture_on_commit_callbacks):
    job = run_import(
        village_archivist, world.village_a1_fonds, csv_file([row(1), row(2)]), django_capture_on_commit_callbacks
    )

    event = AuditEvent.objects.get(action="holdings.import")
    assert event.actor == village_archivist
    assert (event.data["job"], event.data["rows"]) == (job.pk, 2)


def test_the_fonds_column_must_name_the_chosen_fonds(village_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file([[*row(1), "C101"], [*row(2), "C201"]], header=[*HEADER, "全宗号"])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert errors_by_row(job) == {3: [("全宗号", "C201")]}


def test_codes_follow_the_fonds_own_template(village_archivist, world, django_capture_on_commit_callbacks):
    from holdings.models import ReferenceCodeTemplate

    fonds = world.village_a1_fonds
    ReferenceCodeTemplate.objects.create(name="DA/T 13-2022", fonds=fonds, parts=codes.DAT13_PARTS)
    upload = csv_file([row(1, 档号="C101-WS·2015·Y·BGS-0001"), row(2, 门类="KJ·JJ")])

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    assert set(Item.objects.values_list("reference_code", "category")) == {
        ("C101-WS·2015·Y·BGS-0001", category("WS").pk),
        ("C101-KJ·JJ·2015·Y·BGS-0002", category("KJ·JJ").pk),
    }


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        ("题名,年度,保管期限\n".encode() + b"\x80\x80\x80,2015,Y\n", "目录.csv", "GB18030"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "目录.xls", ".xlsx"),
    ],
    ids=["neither-utf8-nor-gb18030", "old-xls"],
)
def test_an_unreadable_file_is_refused_with_what_to_do(
    village_archivist, world, django_capture_on_commit_callbacks, content, name, says
):
    job = run_import(
        village_archivist, world.village_a1_fonds, SimpleUploadedFile(name, content), django_capture_on_commit_callbacks
    )

    assert job.status == ImportStatus.INVALID
    assert says in job.message
    assert job.errors_preview[0]["row"] == 1


def test_a_file_that_changes_encoding_after_the_sniffed_part_is_refused_whole(
    village_archivist, world, django_capture_on_commit_callbacks
):
    utf8 = csv_file([row(number) for number in range(1, 1500)]).read()
    assert len(utf8) > imports.SNIFF_BYTES
    tail = "\r\n".join(",".join(map(str, row(1500 + n, "附件清单"))) for n in range(3)).encode("gbk")

    job = run_import(
        village_archivist,
        world.village_a1_fonds,
        SimpleUploadedFile("目录.csv", utf8 + tail),
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.INVALID
    assert "1501" in job.message  # the first row in another encoding
    assert not Item.objects.exists()


def test_a_large_first_load_rebuilds_the_search_indexes_and_stays_searchable(
    world, county_archivist, django_capture_on_commit_callbacks, monkeypatch
):
    from archives_site import bulk

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)  # treat this small file as a county's first load
    before = sorted(bulk.secondary_indexes("holdings_item"))
    upload = csv_file([row(i, title=f"关于堃山村第{i}次村民代表会议的纪要") for i in range(1, 31)])
    job = run_import(county_archivist, world.archive_fonds, upload, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.message
    assert sorted(bulk.secondary_indexes("holdings_item")) == before
    assert len(search_ids(Item.objects.all(), "堃山村", page_size=50).ids) == 30


def test_a_large_load_rebuilds_the_search_indexes_and_still_finds_the_items(
    village_archivist, world, django_capture_on_commit_callbacks, monkeypatch
):
    from archives_site.bulk import secondary_indexes

    indexes_before = sorted(secondary_indexes("holdings_item"))
    monkeypatch.setattr(imports, "worth_suspending", lambda table, rows: True)  # as for a county's first load

    job = run_import(
        village_archivist,
        world.village_a1_fonds,
        csv_file([row(1, "关于修建青石村文化礼堂的请示"), row(2)]),
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.DONE, job.message
    assert sorted(secondary_indexes("holdings_item")) == indexes_before
    assert len(search_ids(Item.objects.all(), "文化礼堂").ids) == 1


# --- catalogues as bureaus keep them ------------------------------------------------------------

CODE_ONLY = ["档号", "题名", "责任者", "日期", "密级", "备注"]


def test_a_catalogue_with_codes_but_no_component_columns_is_imported(
    county_archivist, world, django_capture_on_commit_callbacks
):
    fonds = world.archive_fonds
    upload = csv_file(
        [
            ["J001-WS·2016-D30-BGS-0007", "关于档案移交的函", "青溪区档案馆", "20160301", "", ""],
            ["J001-WS·2016-Y-0002", "年度工作总结", "青溪区档案馆", "20161230", "", ""],
            ["J001-KJ·JJ·2015-D10-JJK-0012", "基建项目验收报告", "区建设局", "20150601", "", ""],
        ],
        header=CODE_ONLY,
    )

    job = run_import(county_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    items = {item.reference_code: item for item in Item.objects.filter(fonds=fonds)}
    assert set(items) == {"J001-WS·2016-D30-BGS-0007", "J001-WS·2016-Y-0002", "J001-KJ·JJ·2015-D10-JJK-0012"}
    first = items["J001-WS·2016-D30-BGS-0007"]
    assert (first.category, first.year, first.retention, first.org_code, first.number) == (
        category("WS"),
        2016,
        retention("D30"),
        "BGS",
        7,
    )
    assert items["J001-WS·2016-Y-0002"].org_code == ""
    assert (items["J001-KJ·JJ·2015-D10-JJK-0012"].category, items["J001-KJ·JJ·2015-D10-JJK-0012"].number) == (
        category("KJ·JJ"),
        12,
    )
    # The counter continues after the recovered number.
    assert ItemFactory(fonds=fonds, year=2016, retention=retention("D30")).reference_code == "J001-WS·2016-D30-BGS-0008"


def test_a_code_without_a_number_column_must_agree_with_the_columns_given(
    county_archivist, world, django_capture_on_commit_callbacks
):
    header = ["档号", "年度", "保管期限", "题名"]
    upload = csv_file(
        [
            ["J001-WS·2016-D30-BGS-0001", "2016", "D30", "相符"],
            ["J001-WS·2016-D30-BGS-0002", "2017", "D30", "年度不符"],
            ["J001-WS·2016-D30-BGS-0003", "2016", "Y", "期限不符"],
        ],
        header=header,
    )

    job = run_import(county_archivist, world.archive_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert errors_by_row(job) == {3: [("年度", "2017")], 4: [("保管期限", "Y")]}
    problems = [error["problem"] for error in job.errors_preview]
    assert "2016" in problems[0] and "D30" in problems[1]  # what the 档号 says
    assert not Item.objects.exists()


def test_a_code_that_does_not_fit_the_template_is_reported_with_the_expected_form(
    county_archivist, world, django_capture_on_commit_callbacks
):
    upload = csv_file(
        [["WS-2016-0001", "题名一", "", "", "", ""], ["J001-WS·16-D30-BGS-0002", "题名二", "", "", "", ""]],
        header=CODE_ONLY,
    )

    job = run_import(county_archivist, world.archive_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert errors_by_row(job) == {2: [("档号", "WS-2016-0001")], 3: [("档号", "J001-WS·16-D30-BGS-0002")]}
    assert all("J001-WS·年度-保管期限-机构问题-件号" in error["problem"] for error in job.errors_preview)


def test_a_code_is_matched_against_the_fonds_own_template(village_archivist, world, django_capture_on_commit_callbacks):
    from holdings.models import ReferenceCodeTemplate

    fonds = world.village_a1_fonds
    ReferenceCodeTemplate.objects.create(name="DA/T 13-2022", fonds=fonds, parts=codes.DAT13_PARTS)
    upload = csv_file(
        [["C101-WS·2015·Y·BGS-0004", "新式档号", "", "20150101", "", ""]],
        header=CODE_ONLY,
    )

    job = run_import(village_archivist, fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    item = Item.objects.get()
    assert (item.reference_code, item.number, item.org_code) == ("C101-WS·2015·Y·BGS-0004", 4, "BGS")


@pytest.mark.parametrize("marking", ["内部", "非密", "公开", "无"])
def test_non_secret_markings_are_accepted_and_kept_in_the_note(
    village_archivist, world, django_capture_on_commit_callbacks, marking
):
    upload = csv_file([row(1, 密级=marking, 备注="原件破损"), row(2, 密级="秘密")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.errors_preview
    plain, secret = Item.objects.order_by("number")
    assert plain.classification == "" and secret.classification == "secret"
    assert plain.note == f"原件破损\n原标注密级：{marking}"
    assert secret.note == ""


def test_accepted_markings_are_a_setting(village_archivist, world, django_capture_on_commit_callbacks, settings):
    settings.IMPORT_CLASSIFICATION_VALUES = {"不公开": "", "秘密": "secret"}
    upload = csv_file([row(1, 密级="不公开"), row(2, 密级="内部")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert errors_by_row(job) == {3: [("密级", "内部")]}
    assert "不公开" in job.errors_preview[0]["fix"]


def test_a_code_repeated_in_the_file_names_the_other_row(county_archivist, world, django_capture_on_commit_callbacks):
    upload = csv_file(
        [
            ["J001-WS·2016-D30-BGS-0001", "第一件", "", "", "", ""],
            ["J001-WS·2016-D30-BGS-0002", "第二件", "", "", "", ""],
            ["J001-WS·2016-D30-BGS-0001", "又是第一件", "", "", "", ""],
        ],
        header=CODE_ONLY,
    )

    job = run_import(county_archivist, world.archive_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert errors_by_row(job) == {4: [("档号", "J001-WS·2016-D30-BGS-0001")]}
    assert job.errors_preview[0]["problem"] in ("与第 2 行的档号重复", "The same 档号 as row 2.")


def test_a_repeated_number_names_the_other_row(village_archivist, world, django_capture_on_commit_callbacks):
    job = run_import(
        village_archivist,
        world.village_a1_fonds,
        csv_file([row(1), row(2), row(1)]),
        django_capture_on_commit_callbacks,
    )

    assert errors_by_row(job) == {4: [("件号", "1")]}
    assert "2" in job.errors_preview[0]["problem"]


def test_years_follow_the_catalogue_bounds_and_dates_their_year(
    village_archivist, world, django_capture_on_commit_callbacks, settings
):
    settings.CATALOGUE_YEAR_MIN = 1900
    upload = csv_file([row(1, 年度="1899", 日期="18990101"), row(2, 日期="20190312")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert errors_by_row(job) == {2: [("年度", "1899")], 3: [("日期", "20190312")]}
    assert "1900" in job.errors_preview[0]["fix"]


def test_dates_outside_their_year_can_be_accepted_for_the_whole_file(
    village_archivist, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(
            actor=village_archivist,
            fonds=world.village_a1_fonds,
            uploaded_file=csv_file([row(1, 日期="20141220")]),  # a 2015 plan dated December 2014
            dry_run=False,
            accept_dates_outside_year=True,
        )
    job.refresh_from_db()

    assert job.status == ImportStatus.DONE, job.errors_preview
    assert Item.objects.get().date == "20141220"


def formula_xlsx() -> SimpleUploadedFile:
    """备注 holds =HYPERLINK(…) twice: once with the value Excel computed, once never computed."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(row(1, 备注='=HYPERLINK("http://oa.example/1","扫描件")'))
    sheet.append(row(2, 备注="普通备注"))
    content = io.BytesIO()
    workbook.save(content)
    # openpyxl writes formulas without cached values; give the first one the value Excel would have.
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content.getvalue()))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                assert b'<c r="M2"><f>' in data
                data = data.replace(b'<c r="M2"><f>', b'<c r="M2" t="str"><f>', 1)
                data = re.sub(rb"</f><v\s*(?:/>|></v>)</c>", "</f><v>扫描件</v></c>".encode(), data, count=1)
            out.writestr(member, data)
    return SimpleUploadedFile("目录.xlsx", target.getvalue())


def test_formula_cells_are_imported_by_value_and_listed_as_warnings(
    village_archivist, world, django_capture_on_commit_callbacks
):
    upload = formula_xlsx()

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, (job.errors_preview, job.message)
    assert Item.objects.get(number=1).note == "扫描件"
    assert job.warning_count == 1
    (warning,) = job.warnings_preview
    assert (warning["row"], warning["column"]) == (2, "备注")
    assert "HYPERLINK" in warning["value"]
    with job.report.open("rb") as report:
        lines = list(csv.reader(io.StringIO(report.read().decode("utf-8-sig"))))
    assert [(line[0], line[1], line[5]) for line in lines[1:]] == [("2", "备注", "警告")]


def test_a_formula_without_a_computed_value_is_imported_as_its_text(
    village_archivist, world, django_capture_on_commit_callbacks
):
    upload = xlsx_file([row(1, 备注='=HYPERLINK("http://oa.example/1","扫描件")'), row(2, 题名="=A1&B1")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, (job.errors_preview, job.message)
    assert Item.objects.get(number=1).note == '\'=HYPERLINK("http://oa.example/1","扫描件")'
    assert Item.objects.get(number=2).title == "'=A1&B1"
    assert job.warning_count == 2
    assert [(w["row"], w["column"]) for w in job.warnings_preview] == [(2, "备注"), (3, "题名")]
    assert "2" in job.message  # the page says cells were not taken as written


def test_a_plain_workbook_is_read_once(village_archivist, world, django_capture_on_commit_callbacks, monkeypatch):
    loads: list[bool] = []
    load = openpyxl.load_workbook

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs.get("data_only", False))
        return load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counted)

    job = run_import(village_archivist, world.village_a1_fonds, xlsx_file([row(1)]), django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE
    assert loads == [True]


def test_a_zip_bomb_workbook_is_refused_before_it_is_parsed(tmp_path):
    import io
    import zipfile

    from holdings.imports.reading import Refused, _check_unpacked_size

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst><si><t>" + "A" * (40 * 1024 * 1024) + "</t></si></sst>")
    buffer.seek(0)
    with pytest.raises(Refused, match="sharedStrings"):
        _check_unpacked_size(buffer)
