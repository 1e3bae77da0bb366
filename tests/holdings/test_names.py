"""Names, not codes: 门类, 保管期限, 密级 and 状态 read as an archivist writes them on pages,
charts, the spreadsheets and the printed catalogue (the 档号 and the API keep the codes); the
files are named for what they are; the 档号 never breaks over two lines; no query per row."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote

import pypdfium2 as pdfium
import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from holdings import exports
from holdings.exports import catalogue
from holdings.models import Classification, ExportJob, Item, RecordNames, RecordStatus
from tests.factories import FondsFactory, ItemFactory, category, retention
from tests.holdings.test_exports import ARTIFACTS, _download, _export, _items, _login

SITE = "青溪区档案馆"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_NAME = SITE


@pytest.fixture
def thirty_years(world):
    """A fonds with a 30-year 文书 item, a classified one, a legacy 长期 one and a withdrawn one."""
    fonds = world.archive_fonds
    plain = ItemFactory(fonds=fonds, year=2011, retention=retention("D30"), title="关于档案馆年度工作计划的通知")
    secret = ItemFactory(
        fonds=fonds, year=2011, retention=retention("D30"), classification=Classification.SECRET, title="涉密请示"
    )
    withdrawn = ItemFactory(fonds=fonds, year=2011, retention=retention("D30"), title="重复归档")
    Item.objects.filter(pk=withdrawn.pk).update(status=RecordStatus.WITHDRAWN)
    legacy = ItemFactory(fonds=fonds, year=2011, retention=retention("C"), title="旧长期档案")
    return plain, secret, withdrawn, legacy


def _cell_after(html: str, label: str) -> str:
    """The text of the <dd> after the <dt> that reads ``label``."""
    match = re.search(rf"<dt[^>]*>{re.escape(label)}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert match, f"no {label} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


# --- pages and charts ----------------------------------------------------------------------------


def test_an_item_page_shows_category_and_retention_by_name(client, thirty_years, county_archivist):
    plain, *_ = thirty_years
    html = _login(client, county_archivist).get(reverse("holdings:item-detail", args=[plain.pk])).content.decode()
    assert _cell_after(html, "门类") == "文书"
    assert _cell_after(html, "保管期限") == "定期30年"
    assert _cell_after(html, "密级") == "非密"
    assert _cell_after(html, "状态") == "已归档"
    assert "D30" in _cell_after(html, "档号")  # the code stays in the 档号, and only there


def test_statistics_charts_and_table_label_categories_and_retention_by_name(client, thirty_years, county_archivist):
    ItemFactory(fonds=thirty_years[0].fonds, category=category("KJ·JJ"), retention=retention("Y"))
    html = _login(client, county_archivist).get(reverse("holdings:statistics")).content.decode()
    charts = [json.loads(raw) for raw in re.findall(r'<script[^>]*type="application/json">(.*?)</script>', html, re.S)]
    labels = [label for chart in charts for label in chart["labels"] if isinstance(label, str)]
    assert {"文书", "基建"} <= set(labels)
    retention_chart = next(chart for chart in charts if "永久" in chart["labels"])
    # in their configured order (永久, 30年, 10年, then the legacy ones), not by code (C, D30, Y)
    assert retention_chart["labels"] == ["永久", "定期30年", "长期（旧）"]
    assert not {"WS", "KJ·JJ", "D30", "Y", "C", "WS 文书"} & set(labels)
    assert "<td>文书</td>" in html and "<td>基建</td>" in html


def test_the_export_page_says_what_is_exported_by_name(client, thirty_years, county_archivist):
    fonds = thirty_years[0].fonds
    query = {"fonds": fonds.pk, "category": category("WS").pk, "retention": "D30", "status": "filed"}
    html = _login(client, county_archivist).get(reverse("holdings:item-export", args=["csv"]), query).content.decode()
    what = re.search(r'data-testid="export-what">(.*?)</dl>', html, re.S).group(1)
    pairs = dict(re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", what))
    assert pairs["门类"] == "文书" and pairs["保管期限"] == "定期30年" and pairs["状态"] == "已归档"
    assert "D30" not in what and "filed" not in what


# --- exports -------------------------------------------------------------------------------------


def _sheet_rows(fmt: str, content: bytes) -> list[dict[str, str]]:
    if fmt == "csv":
        header, *rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    else:
        header, *rows = load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    return [{h: "" if v is None else str(v) for h, v in zip(header, row, strict=True)} for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheets_name_category_retention_classification_and_status(
    client, thirty_years, county_archivist, django_capture_on_commit_callbacks, fmt
):
    plain, secret, withdrawn, legacy = thirty_years
    client = _login(client, county_archivist)
    job = _export(client, fmt, django_capture_on_commit_callbacks, fonds=plain.fonds_id)
    response, content = _download(client, job)
    by_code = {row["档号"]: row for row in _sheet_rows(fmt, content)}

    row = by_code[plain.reference_code]
    assert (row["门类"], row["保管期限"], row["密级"], row["状态"]) == ("文书", "定期30年", "", "已归档")
    assert by_code[secret.reference_code]["密级"] == "秘密"
    assert by_code[withdrawn.reference_code]["状态"] == "已作废"
    assert by_code[legacy.reference_code]["保管期限"] == "长期（旧）"
    assert not {"D30", "WS", "C", "secret", "filed"} & {v for r in by_code.values() for v in r.values()}

    day = ExportJob.objects.get(pk=job.pk).created_at.astimezone().date().isoformat()
    name = f"{SITE}-J001-归档文件目录-{day}.{fmt}"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"J001-{day}.{fmt}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


def test_an_exported_spreadsheet_imports_back_by_its_names(
    thirty_years, county_archivist, django_capture_on_commit_callbacks, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from holdings import imports
    from holdings.models import ImportStatus

    plain, secret, *_others = thirty_years
    fonds = plain.fonds
    path = tmp_path / "out.csv"
    exports.write_csv(_items(fonds).filter(pk__in=[plain.pk, secret.pk]), path)
    Item.objects.filter(pk__in=[plain.pk, secret.pk]).delete()
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.import_start(
            actor=county_archivist,
            fonds=fonds,
            uploaded_file=SimpleUploadedFile("目录.csv", path.read_bytes(), content_type="text/csv"),
            dry_run=False,
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, (job.message, job.errors_preview)
    back = Item.objects.get(reference_code=plain.reference_code)
    assert (back.category.code, back.retention.code, back.title) == ("WS", "D30", plain.title)
    assert Item.objects.get(reference_code=secret.reference_code).classification == Classification.SECRET


def _pdf_lines(content: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(content)
    return [line for index in range(len(pdf)) for line in pdf[index].get_textpage().get_text_range().splitlines()]


def test_the_printed_catalogue_heading_names_category_and_retention_and_its_file_says_what_it_is(
    client, thirty_years, county_archivist, django_capture_on_commit_callbacks
):
    fonds = thirty_years[0].fonds
    client = _login(client, county_archivist)
    query = {"fonds": fonds.pk, "category": category("WS").pk, "year": 2011, "retention": "D30"}
    job = _export(client, "pdf", django_capture_on_commit_callbacks, **query)
    response, content = _download(client, job)
    text = "".join("".join(_pdf_lines(content)).split())
    assert "门类：文书" in text and "年度：2011" in text and "保管期限：定期30年" in text
    assert "保管期限：D30" not in text
    assert "秘密" in text  # 密级 by name
    # DA/T 22-2015's columns of the 归档文件目录, in its order
    assert re.search("序号.*档号.*文号.*责任者.*题名.*日期.*密级.*页数.*备注", text)

    day = ExportJob.objects.get(pk=job.pk).created_at.astimezone().date().isoformat()
    name = f"{SITE}-J001-文书-2011-定期30年-归档文件目录-{day}.pdf"
    assert ExportJob.objects.get(pk=job.pk).file_name == name
    disposition = response["Content-Disposition"]
    assert disposition == f"inline; filename=\"J001-2011-30-{day}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    assert disposition.isascii()


def test_an_export_of_every_fonds_is_named_for_its_scope(
    client, world, county_archivist, network, django_capture_on_commit_callbacks
):
    ItemFactory(fonds=world.village_a1_fonds)
    client = _login(client, county_archivist)
    everything = _export(client, "csv", django_capture_on_commit_callbacks)
    one_unit = _export(client, "xlsx", django_capture_on_commit_callbacks, unit=network.township_a.pk)
    day = ExportJob.objects.get(pk=everything.pk).created_at.astimezone().date().isoformat()
    assert ExportJob.objects.get(pk=everything.pk).file_name == f"{SITE}-全部全宗-归档文件目录-{day}.csv"
    assert ExportJob.objects.get(pk=one_unit.pk).file_name == f"{SITE}-青石镇-归档文件目录-{day}.xlsx"
    response, _content = _download(client, everything)
    assert response["Content-Disposition"].startswith(f'attachment; filename="{day}.csv"; filename*=UTF-8')


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("青溪区档案馆-J002-归档文件目录-2026-12-01.pdf", "J002-2026-12-01.pdf"),
        ("归档文件目录.csv", "export.csv"),
        ('a"b\\c;d.xlsx', "a-b-c-d.xlsx"),
    ],
)
def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name(name, fallback):
    header = exports.content_disposition(name)
    assert header == f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    assert header.isascii()


# --- the 档号 column ----------------------------------------------------------------------------


LONGEST_ORG = "BGSWWWWWWWWWWWWW"  # 16 characters, the most a 机构问题 code holds


@pytest.mark.parametrize("org", ["BGS", LONGEST_ORG, "办公室档案管理工作问题类别代码甲"])
def test_the_longest_code_prints_unbroken_on_one_line(world, network, tmp_path, org):
    """Fonds numbers of 8 characters, a sub-category, 机构问题 codes up to their limit: every
    档号 is on one line of the extracted text (the column widens, then prints smaller)."""
    fonds = FondsFactory(code="J001ZGDA", name="青溪区总工会", creating_unit=network.archive)
    items = [
        ItemFactory(fonds=fonds, category=category("KJ·JJ"), year=2011, retention=retention("D30"), org_code=org)
        for _ in range(2)
    ]
    ItemFactory(fonds=fonds, year=2011, title="关于职工代表大会的通知" * 8)  # a title that wraps
    rows = list(_items(fonds))
    widest = max(catalogue.code_width(item.reference_code) for item in rows)
    (book,) = exports.write_catalogue(rows, directory=tmp_path, fonds=fonds, total=len(rows), widest_code=widest)
    content = book.read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    pdfium.PdfDocument(content)[0].render(scale=2).to_pil().save(ARTIFACTS / f"catalogue-code-{len(org)}.png")
    lines = _pdf_lines(content)
    for item in items:
        assert any(item.reference_code in line for line in lines), f"{item.reference_code} wrapped: {lines}"
    assert not any("关于职工代表大会的通知" * 8 in line for line in lines)  # the title wraps instead
    column = catalogue.code_column(widest)
    assert column.width <= catalogue.CODE_COLUMN_MAX
    assert catalogue.column_widths(column.width)[catalogue.CATALOGUE_COLUMNS.index("题名")] >= (
        catalogue.TITLE_MIN_WIDTH
    )


def test_the_code_column_widens_before_it_prints_smaller():
    short, wide = (
        catalogue.code_column(100),
        catalogue.code_column(280),
    )  # 280 pt: an 8-character fonds, a 16-character 机构问题 code
    assert (short.width, short.font_size) == (catalogue.BASE_WIDTHS["档号"], catalogue.FONT_SIZE)
    assert wide.width == catalogue.CODE_COLUMN_MAX and catalogue.CODE_FONT_MIN <= wide.font_size < catalogue.FONT_SIZE
    assert 280 * wide.font_size / catalogue.FONT_SIZE <= wide.width - 2 * catalogue.CELL_PADDING


# --- no query per row ------------------------------------------------------------------------------


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_names_cost_no_query_per_row(world, tmp_path):
    fonds = world.archive_fonds
    template = Template(
        '{% load holdings_names %}{% for item in items %}{{ item|name_of:"category" }} {{ item|name_of:"retention" }} '
        '{{ item|name_of:"classification" }} {{ item|name_of:"status" }}|{% endfor %}'
    )

    def costs() -> tuple[int, ...]:
        return (
            _queries(lambda: template.render(Context({"items": _items(fonds)}))),
            _queries(lambda: exports.write_csv(_items(fonds), tmp_path / "out.csv")),
            _queries(lambda: exports.write_xlsx(_items(fonds), tmp_path / "out.xlsx")),
            _queries(lambda: exports.write_catalogue(_items(fonds), directory=tmp_path, fonds=fonds, total=50)),
        )

    ItemFactory(fonds=fonds, retention=retention("D30"))
    few = costs()
    for _ in range(30):
        ItemFactory(fonds=fonds, retention=retention("D30"), classification=Classification.SECRET)
    assert costs() == few
    assert few[0] == 1  # the list's own query: the names come from its select_related rows
    assert "定期30年" in template.render(Context({"items": _items(fonds)}))


def test_record_names_reads_each_reference_table_once(db):
    names = RecordNames()
    ws, jj = category("WS"), category("KJ·JJ")
    with CaptureQueriesContext(connection) as captured:
        assert [names.category(pk=ws.pk), names.category(code="KJ·JJ"), names.category(pk=jj.pk)] == [
            "文书",
            "基建",
            "基建",
        ]
        assert [names.retention("D30"), names.retention("Y"), names.retention("D10")] == [
            "定期30年",
            "永久",
            "定期10年",
        ]
        assert sorted(["D10", "C", "Y", "D30"], key=names.retention_order) == ["Y", "D30", "D10", "C"]
        assert names.category(pk="x") == "x" and names.retention("nope") == "nope"
    assert len(captured) == 2
