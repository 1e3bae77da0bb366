"""Exports as a user asks for them and opens them: the job page, then the file — the printed
catalogue (read back with pdfium, page 1 rendered to PNG), XLSX and CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from archives_site.models import AuditEvent
from holdings import exports
from holdings.exports import catalogue
from holdings.models import Classification, ExportJob, ExportStatus, Fonds, Item, OpenStatus, RecordStatus
from tests.conftest import _persona
from tests.factories import PASSWORD, FondsFactory, ItemFactory
from villages.roles import Role

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RARE = "堃镕珺〇"
NO_GLYPH = "\U0010fffd"  # a private-use code point no CJK font carries: drawn as the font's .notdef


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def inspector(network):
    """Reads every unit's holdings county-wide, but not classified or controlled records in full."""
    return _persona("inspector", Role.INSPECTOR, network.county)


def _items(fonds: Fonds):
    return Item.objects.filter(fonds=fonds).select_related("fonds", "category", "retention").order_by("number")


def _text(pdf: pdfium.PdfDocument, index: int) -> str:
    return pdf[index].get_textpage().get_text_range()


def _all_text(pdf: pdfium.PdfDocument) -> str:
    return "\n".join(_text(pdf, index) for index in range(len(pdf)))


def _compact(text: str) -> str:
    return "".join(text.split())


def _pdf(items, fonds, tmp_path, heading=None, **options) -> pdfium.PdfDocument:
    items = list(items)
    widest = max((catalogue.code_width(item.reference_code or "") for item in items), default=0)
    (book,) = exports.write_catalogue(
        items, directory=tmp_path, fonds=fonds, heading=heading, total=len(items), widest_code=widest, **options
    )
    return pdfium.PdfDocument(book.read_bytes())


# --- the job, as a user goes through it ---------------------------------------------------------


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def _export(client, fmt: str, capture, **query) -> ExportJob:
    """Press the export button on the item list: the confirmation page, then start the job."""
    url = reverse("holdings:item-export", args=[fmt])
    page = client.get(url, query)
    assert page.status_code == 200, page.content.decode()[:500]
    assert 'data-testid="export-start"' in page.content.decode()
    with capture(execute=True):
        response = client.post(f"{url}?{page.wsgi_request.GET.urlencode()}")
    assert response.status_code == 302
    job = ExportJob.objects.latest("pk")
    assert response["Location"] == reverse("holdings:export-detail", args=[job.pk])
    return job


def _download(client, job: ExportJob):
    html = client.get(reverse("holdings:export-detail", args=[job.pk])).content.decode()
    assert 'data-status="done"' in html, html
    url = reverse("holdings:export-download", args=[job.pk])
    assert url in html
    response = client.get(url)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def _rows_of(fmt: str, content: bytes) -> str:
    """The export's text, whatever its format."""
    if fmt == "pdf":
        return _all_text(pdfium.PdfDocument(content))
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
        )
    return content.decode("utf-8-sig")


SECRET = {
    "title": "关于孙堃同志任职的请示",
    "responsible": "青溪区委组织部",
    "doc_number": "青组〔2015〕7号",
    "note": "仅限领导传阅",
}


@pytest.fixture
def restricted(world):
    """A classified item and a controlled one in the archive's fonds, beside an open one."""
    secret = ItemFactory(fonds=world.archive_fonds, classification=Classification.SECRET, **SECRET)
    controlled = ItemFactory(
        fonds=world.archive_fonds,
        title="关于征地补偿争议的调查报告",
        responsible="区信访局",
        open_status=OpenStatus.CONTROLLED,
    )
    ItemFactory(fonds=world.archive_fonds, title="关于档案馆开放日的通知")
    return secret, controlled


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_restricted_rows_show_only_their_code_to_a_user_without_the_right(
    client, world, inspector, restricted, fmt, django_capture_on_commit_callbacks
):
    secret, controlled = restricted
    job = _export(_login(client, inspector), fmt, django_capture_on_commit_callbacks, fonds=world.archive_fonds.pk)
    _response, content = _download(client, job)
    text = _rows_of(fmt, content)
    compact = _compact(text)
    assert secret.reference_code in compact and controlled.reference_code in compact
    for value in (*SECRET.values(), "关于征地补偿争议的调查报告", "区信访局"):
        assert _compact(value) not in compact, f"{value} leaked into the {fmt} export"
    assert "秘密" not in compact  # the 密级 is withheld too
    assert "关于档案馆开放日的通知" in compact  # open rows are exported in full
    event = AuditEvent.objects.get(action="holdings.export", actor=inspector)
    assert event.data["rows"] == 3 and event.data["withheld"] == 2
    assert event.data["filters"] == {"fonds": str(world.archive_fonds.pk)}


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_restricted_rows_are_exported_in_full_for_a_user_with_the_right(
    client, world, county_archivist, restricted, fmt, django_capture_on_commit_callbacks
):
    job = _export(
        _login(client, county_archivist), fmt, django_capture_on_commit_callbacks, fonds=world.archive_fonds.pk
    )
    compact = _compact(_rows_of(fmt, _download(client, job)[1]))
    for value in (*SECRET.values(), "关于征地补偿争议的调查报告", "秘密"):
        assert _compact(value) in compact


def test_the_job_page_shows_progress_then_a_download_named_for_what_it_is(
    client, world, county_archivist, django_capture_on_commit_callbacks, settings
):
    settings.SITE_NAME = "青溪区档案馆"
    for _ in range(3):
        ItemFactory(fonds=world.archive_fonds, year=2011)
    client = _login(client, county_archivist)
    page = client.get(reverse("holdings:item-export", args=["pdf"]), {"fonds": world.archive_fonds.pk, "year": 2011})
    html = page.content.decode()
    assert "J001" in html and "2011" in html  # what will be exported, before it starts
    job = _export(client, "pdf", django_capture_on_commit_callbacks, fonds=world.archive_fonds.pk, year=2011)
    assert job.created_by == county_archivist
    assert job.params["filters"] == {"fonds": str(world.archive_fonds.pk), "year": "2011"}

    partial = client.get(reverse("holdings:export-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="export-status"')
    assert 'data-status="done"' in partial and "hx-trigger" not in partial  # finished: polling stops
    assert "3 / 3" in partial

    response, content = _download(client, job)
    day = ExportJob.objects.get(pk=job.pk).created_at.astimezone().date().isoformat()
    name = f"青溪区档案馆-J001-2011-归档文件目录-{day}.pdf"
    assert response["Content-Disposition"] == (
        f"inline; filename=\"J001-2011-{day}.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert content.startswith(b"%PDF")
    assert "年度：2011" in _compact(_all_text(pdfium.PdfDocument(content)))
    assert AuditEvent.objects.filter(action="holdings.export_download", actor=county_archivist).exists()
    # the user's exports list the job
    assert name in client.get(reverse("holdings:export-list")).content.decode()


def test_a_job_still_waiting_says_so_and_can_be_queued_again(
    client, world, county_archivist, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    job = ExportJob.objects.create(created_by=county_archivist, format="csv", params={"filters": {}, "q": ""})
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=10))
    client = _login(client, county_archivist)
    html = client.get(reverse("holdings:export-detail", args=[job.pk])).content.decode()
    assert 'data-testid="export-stalled"' in html and 'hx-trigger="every 1s"' in html
    queued = []
    monkeypatch.setattr(
        "holdings.tasks.export_run.apply_async", lambda args, **options: queued.append((args, options.get("queue")))
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("holdings:export-requeue", args=[job.pk]))
    assert queued == [((job.pk,), "reports")]


def test_another_users_export_is_not_found(
    client, world, county_archivist, county_admin, django_capture_on_commit_callbacks
):
    ItemFactory(fonds=world.archive_fonds)
    job = _export(_login(client, county_archivist), "csv", django_capture_on_commit_callbacks)
    client.logout()
    client = _login(client, county_admin)  # even the county administrator: a job is its creator's
    for name in ("holdings:export-detail", "holdings:export-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("holdings:export-requeue", args=[job.pk])).status_code == 404
    assert str(job.pk) not in client.get(reverse("holdings:export-list")).content.decode().split("export-jobs")[1]


@pytest.mark.parametrize(
    ("fmt", "query", "message"),
    [
        ("pdf", {"fonds": "abc"}, "全宗: 输入"),
        ("xlsx", {"fonds": "abc"}, "全宗: 输入"),
        ("xlsx", {"year": "99999"}, "年度: "),
        ("csv", {"year": "-1"}, "年度: "),
        ("csv", {"q": "土地\x00承包"}, "U+0000"),  # refused by the NUL middleware before the view
        ("xlsx", {"status": "\x00"}, "U+0000"),
        ("csv", {"open_status": "bogus"}, "开放状态: "),
        ("csv", {"q": "长" * 300}, "检索词过长"),
    ],
)
def test_bad_parameters_answer_400_with_what_is_wrong(client, world, county_archivist, fmt, query, message):
    client = _login(client, county_archivist)
    url = reverse("holdings:item-export", args=[fmt])
    for response in (client.get(url, query), client.post(f"{url}?{_encode(query)}")):
        assert response.status_code == 400
        html = response.content.decode()
        # The form lists what is wrong; a NUL never reaches it (the site's 400 page says why).
        testid = "error-reason" if "U+0000" in message else "export-errors"
        errors = html.split(f'data-testid="{testid}"', 1)[1].split("</div>", 1)[0]
        assert message in errors
        if "year" in query:
            assert "1500" in errors  # the bounds are named
    assert not ExportJob.objects.exists()


def test_the_export_service_refuses_nul_characters_itself(world, county_archivist):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=r"\\x00"):
        exports.export_params(user=county_archivist, fmt="csv", data={"q": "土地\x00"})


def _encode(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def test_unknown_format_and_unseen_fonds_are_not_found(client, world, village_archivist):
    client = _login(client, village_archivist)
    assert client.get(reverse("holdings:item-export", args=["docx"])).status_code == 404
    # another township's fonds is not in reach: the printed catalogue is not offered
    response = client.get(reverse("holdings:item-export", args=["pdf"]), {"fonds": world.village_b1_fonds.pk})
    assert response.status_code == 404
    response = client.get(reverse("holdings:item-export", args=["pdf"]), {"fonds": 10**12})
    assert response.status_code == 404


def test_the_printed_catalogue_needs_a_fonds(client, world, county_archivist):
    response = _login(client, county_archivist).get(reverse("holdings:item-export", args=["pdf"]), {"year": 2015})
    assert response.status_code == 302 and response["Location"].endswith("/holdings/items/?year=2015")


def test_the_worker_reads_with_the_creators_reach_when_it_runs(
    world, village_archivist, django_capture_on_commit_callbacks
):
    ItemFactory(fonds=world.village_a1_fonds, title="青石村的文件")
    ItemFactory(fonds=world.village_b1_fonds, title="白沙村的文件")
    params = exports.export_params(user=village_archivist, fmt="csv", data={})
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(actor=village_archivist, fmt="csv", params=params)
    job.refresh_from_db()
    content = job.file.read().decode("utf-8-sig")
    assert "青石村的文件" in content and "白沙村的文件" not in content
    assert (job.status, job.total_rows, job.processed_rows) == (ExportStatus.DONE, 1, 1)


def test_running_a_job_again_changes_nothing_and_an_interrupted_one_starts_over(
    world, county_archivist, django_capture_on_commit_callbacks
):
    ItemFactory(fonds=world.archive_fonds)
    job = ExportJob.objects.create(created_by=county_archivist, format="xlsx", params={"filters": {}, "q": ""})
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, processed_rows=0)  # its worker died
    exports.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.file.name.startswith(f"exports/{job.pk}/")
    first = job.file.name
    exports.export_run(job_id=job.pk)  # redelivered once more
    job.refresh_from_db()
    assert job.file.name == first
    assert AuditEvent.objects.filter(action="holdings.export").count() == 1


# --- the printed catalogue -----------------------------------------------------------------------


@pytest.fixture
def catalogue_fonds(world) -> Fonds:
    """Village A1's fonds with 60 items, the first one naming people with rare characters."""
    fonds = world.village_a1_fonds
    ItemFactory(
        fonds=fonds,
        title="关于孙堃、陈镕、周珺同志任职的通知",
        responsible="二〇一五年青石村党支部",
        doc_number="青支〔2015〕1号",
        date="20150312",
        classification=Classification.SECRET,
        page_count=3,
    )
    ItemFactory(fonds=fonds, title="青石村大事记", date="1958", date_researched=True, confirm_date=True)
    for i in range(58):
        ItemFactory(
            fonds=fonds, title=f"关于村级组织换届选举工作的通知（第{i}号）" * 2, doc_number=f"青委〔2015〕{i}号"
        )
    return fonds


def test_catalogue_is_a4_landscape_over_several_pages_with_rare_names(catalogue_fonds, tmp_path):
    fonds = catalogue_fonds
    heading = {"year": "2015", "retention": "永久", "org": "BGS"}
    pdf = _pdf(_items(fonds), fonds, tmp_path, heading=heading)

    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (842, 595)
    assert len(pdf) > 1
    first = _compact(_text(pdf, 0))
    assert "归档文件目录" in first
    assert f"全宗名称：{fonds.name}" in first
    assert "年度：2015" in first and "保管期限：永久" in first and "机构(问题)：BGS" in first
    assert "C101-WS·2015-Y-BGS-0001" in first
    for char in RARE:
        assert char in first, f"{char} is missing from the extracted text"
    assert "[1958]" in first  # a researched date is printed in brackets
    assert "第1页" in first

    last = _compact(_text(pdf, len(pdf) - 1))
    assert "序号" in last and "题名" in last  # the header row is repeated on later pages
    assert "C101-WS·2015-Y-BGS-0060" in last
    assert f"第{len(pdf)}页" in last

    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=2).to_pil().save(ARTIFACTS / "catalogue-page1.png")
    assert (ARTIFACTS / "catalogue-page1.png").stat().st_size > 0


def test_withdrawn_numbers_are_marked_void_and_destroyed_records_marked(world, tmp_path):
    fonds = world.archive_fonds
    kept = ItemFactory(fonds=fonds, title="关于成立档案工作领导小组的通知")
    withdrawn = ItemFactory(fonds=fonds, title="关于重复归档的会议纪要", doc_number="青档〔2015〕9号")
    destroyed = ItemFactory(fonds=fonds, title="二〇〇五年度报刊征订单", note="到期鉴定")
    Item.objects.filter(pk=withdrawn.pk).update(status=RecordStatus.WITHDRAWN)
    Item.objects.filter(pk=destroyed.pk).update(status=RecordStatus.DESTROYED)

    lines = [_compact(line) for line in _text(_pdf(_items(fonds), fonds, tmp_path), 0).splitlines()]
    text = "".join(lines)
    assert kept.title in text
    assert "关于重复归档的会议纪要" not in text and "青档〔2015〕9号" not in text
    line = next(line for line in lines if withdrawn.reference_code in line)
    assert "此号作废" in line and "作废" in line.replace("此号作废", "")
    assert destroyed.title in text and "已销毁；到期鉴定" in text


def test_the_code_column_fits_the_widest_code_without_wrapping(world, tmp_path, network):
    archive = world.archive_fonds
    ItemFactory(fonds=archive, year=2011, retention=_retention("D30"))
    long_fonds = FondsFactory(code="J001ZGDA", name="青溪区总工会", creating_unit=network.archive)
    ItemFactory(fonds=long_fonds, year=2011, retention=_retention("D30"))
    for fonds, code in ((archive, "J001-WS·2011-D30-BGS-0001"), (long_fonds, "J001ZGDA-WS·2011-D30-BGS-0001")):
        lines = _text(_pdf(_items(fonds), fonds, tmp_path), 0).splitlines()
        assert any(code in line for line in lines), f"{code} wrapped: {lines}"
    assert catalogue.code_column_width(catalogue.code_width("J001-WS·2011-D30-BGS-0001")) > 132


def _retention(code: str):
    return Item._meta.get_field("retention").related_model.objects.get(code=code)


def test_a_catalogue_of_several_books_is_a_zip_with_pages_and_entries_numbered_on(
    client, world, county_archivist, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(catalogue, "ITEMS_PER_BOOK", 25)
    for _ in range(60):
        ItemFactory(fonds=world.archive_fonds, title="关于村务公开工作的通知" * 3)
    job = _export(
        _login(client, county_archivist), "pdf", django_capture_on_commit_callbacks, fonds=world.archive_fonds.pk
    )
    response, content = _download(client, job)
    assert response["Content-Type"] == "application/zip" and job.__class__.objects.get(pk=job.pk).file_name.endswith(
        ".zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    assert [name.rsplit("-", 1)[1] for name in names] == ["第001册.pdf", "第002册.pdf", "第003册.pdf"]
    books = [pdfium.PdfDocument(archive.read(name)) for name in names]
    page = 0
    for number, book in enumerate(books, start=1):
        first = _compact(_text(book, 0))
        assert f"第{number}册，共3册" in first
        assert f"第{page + 1}页" in first  # the page numbers go on from the book before
        page += len(book)
    second = _compact(_all_text(books[1]))
    assert "J001-WS·2015-Y-BGS-0026" in second and "J001-WS·2015-Y-BGS-0025" not in second
    assert f"第{page}页" in _compact(_text(books[2], len(books[2]) - 1))


def test_catalogue_refuses_unknown_heading_fields(world, tmp_path):
    fonds = world.archive_fonds
    items = [ItemFactory(fonds=fonds, title="关于档案馆开放日的通知")]
    assert "关于档案馆开放日的通知" in _text(_pdf(iter(items), fonds, tmp_path), 0)
    with pytest.raises(ValueError, match="volume"):
        _pdf(items, fonds, tmp_path, heading={"volume": "1"})


def _ink(char: str) -> Image.Image:
    """``char`` alone, large, in the catalogue's font, rendered to a black-and-white bitmap."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(120, 120))
    canvas.setFont(exports.cjk_font_name(), 80)
    canvas.drawString(20, 25, char)
    canvas.save()
    pdf = pdfium.PdfDocument(buffer.getvalue())
    image = pdf[0].render(scale=1).to_pil().convert("L")
    pdf.close()
    return image.point(lambda level: 255 if level < 128 else 0, mode="1")


def _ink_pixels(image: Image.Image) -> int:
    return image.histogram()[255]  # a "1" image counts its set pixels at 255


def test_rare_name_characters_render_as_real_glyphs():
    missing = _ink(NO_GLYPH)
    glyphs = {char: _ink(char) for char in RARE}
    for char, image in glyphs.items():
        assert _ink_pixels(image) > 100, f"{char} drew (almost) nothing"
        assert image.tobytes() != missing.tobytes(), f"{char} drew the missing-glyph box"
    assert len({image.tobytes() for image in glyphs.values()}) == len(RARE)  # four different glyphs


def test_missing_font_names_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(catalogue, "CJK_FONT_NAME", "NotRegisteredForThisTest")
    monkeypatch.setattr(catalogue, "CJK_FONT_PATH", tmp_path / "absent.ttc")
    with pytest.raises(RuntimeError, match="fonts-wqy-zenhei"):
        exports.cjk_font_name()


# --- spreadsheets ----------------------------------------------------------------------------


def test_xlsx_has_the_import_columns_one_row_per_item_and_neutralises_formulas(world, tmp_path):
    fonds = FondsFactory(code="C301", name="白沙村民委员会（二组）", creating_unit=world.village_b1_fonds.creating_unit)
    ItemFactory(fonds=fonds, title='=HYPERLINK("http://x")', note="-5", page_count=2)
    ItemFactory(fonds=fonds, title="关于村务公开的通知", responsible="+86 村委会", date="20150101")
    ItemFactory(fonds=fonds, title="控制字符\x01不应让导出失败", note="@mention")

    path = tmp_path / "out.xlsx"
    assert exports.write_xlsx(_items(fonds), path) == 3
    sheet = load_workbook(path).active
    assert sheet.title == "归档文件目录"
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    assert header == exports.EXPORT_COLUMNS and header[: len(exports.SHEET_COLUMNS)] == exports.SHEET_COLUMNS
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert [row["档号"] for row in rows] == [f"C301-WS·2015-Y-BGS-000{n}" for n in (1, 2, 3)]
    first, second, third = rows
    assert first["题名"] == '\'=HYPERLINK("http://x")'
    assert first["备注"] == "'-5"
    assert first["页数"] == 2
    assert (first["全宗号"], first["门类"], first["年度"], first["保管期限"], first["机构问题"], first["件号"]) == (
        "C301",
        "文书",
        2015,
        "永久",
        "BGS",
        1,
    )
    assert second["责任者"] == "'+86 村委会"
    assert second["日期"] == "20150101"
    assert third["题名"] == "控制字符不应让导出失败"
    assert third["备注"] == "'@mention"
    assert first["状态"] == str(RecordStatus.FILED.label)


def test_csv_starts_with_a_bom_and_neutralises_formulas(world, tmp_path):
    fonds = world.archive_fonds
    ItemFactory(fonds=fonds, title="@SUM(A1:A9)", note="\t=1+1", date="1949", date_researched=True, confirm_date=True)
    ItemFactory(fonds=fonds, title="普通题名")

    path = tmp_path / "out.csv"
    exports.write_csv(_items(fonds), path)
    encoded = path.read_bytes()
    assert encoded.startswith("\ufeff档号,全宗号,".encode())
    header, *rows = csv.reader(io.StringIO(encoded.decode("utf-8-sig")))
    assert tuple(header) == exports.EXPORT_COLUMNS
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    assert [row["题名"] for row in by_column] == ["'@SUM(A1:A9)", "普通题名"]
    assert by_column[0]["备注"] == "'\t=1+1"
    assert by_column[0]["日期"] == "[1949]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell_prefixes_only_text_that_would_run_as_a_formula(value, expected):
    assert exports.safe_cell(value) == expected
