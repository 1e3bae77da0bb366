"""Exports as a user opens them: the printed catalogue (rendered to PNG), XLSX and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from holdings import exports
from holdings.models import Classification, Fonds, Item
from tests.factories import FondsFactory, ItemFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RARE = "堃镕珺〇"
NO_GLYPH = "\U0010fffd"  # a private-use code point no CJK font carries: drawn as the font's .notdef


def _items(fonds: Fonds):
    return Item.objects.filter(fonds=fonds).order_by("number")


def _text(pdf: pdfium.PdfDocument, index: int) -> str:
    return pdf[index].get_textpage().get_text_range()


def _compact(text: str) -> str:
    return "".join(text.split())


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
    ItemFactory(fonds=fonds, title="青石村大事记", date="1958", date_researched=True)
    for i in range(58):
        ItemFactory(
            fonds=fonds, title=f"关于村级组织换届选举工作的通知（第{i}号）" * 2, doc_number=f"青委〔2015〕{i}号"
        )
    return fonds


def test_catalogue_is_a4_landscape_over_several_pages_with_rare_names(catalogue_fonds):
    fonds = catalogue_fonds
    heading = {"year": "2015", "retention": "永久", "org": "BGS"}
    pdf = pdfium.PdfDocument(exports.catalogue_pdf(items=_items(fonds), fonds=fonds, heading=heading))

    width, height = pdf[0].get_size()
    assert width > height
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


def test_catalogue_accepts_any_iterable_and_refuses_unknown_heading_fields(world):
    fonds = world.archive_fonds
    items = [ItemFactory(fonds=fonds, title="关于档案馆开放日的通知")]
    pdf = pdfium.PdfDocument(exports.catalogue_pdf(items=iter(items), fonds=fonds))
    assert len(pdf) == 1
    assert "关于档案馆开放日的通知" in _text(pdf, 0)
    with pytest.raises(ValueError, match="volume"):
        exports.catalogue_pdf(items=items, fonds=fonds, heading={"volume": "1"})


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
    monkeypatch.setattr(exports, "CJK_FONT_NAME", "NotRegisteredForThisTest")
    monkeypatch.setattr(exports, "CJK_FONT_PATH", tmp_path / "absent.ttc")
    with pytest.raises(RuntimeError, match="fonts-wqy-zenhei"):
        exports.cjk_font_name()


def test_xlsx_has_the_import_columns_one_row_per_item_and_neutralises_formulas(world):
    fonds = FondsFactory(code="C301", name="白沙村民委员会（二组）", creating_unit=world.village_b1_fonds.creating_unit)
    ItemFactory(fonds=fonds, title='=HYPERLINK("http://x")', note="-5", page_count=2)
    ItemFactory(fonds=fonds, title="关于村务公开的通知", responsible="+86 村委会", date="20150101")
    ItemFactory(fonds=fonds, title="控制字符\x01不应让导出失败", note="@mention")

    sheet = load_workbook(io.BytesIO(exports.items_xlsx(items=_items(fonds)))).active
    assert sheet.title == "归档文件目录"
    rows = [dict(zip(exports.SHEET_COLUMNS, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert next(sheet.iter_rows(max_row=1, values_only=True)) == exports.SHEET_COLUMNS

    assert [row["档号"] for row in rows] == [f"C301-WS·2015-Y-BGS-000{n}" for n in (1, 2, 3)]
    first, second, third = rows
    assert first["题名"] == '\'=HYPERLINK("http://x")'
    assert first["备注"] == "'-5"
    assert first["页数"] == 2
    assert (first["全宗号"], first["门类"], first["年度"], first["保管期限"], first["机构问题"], first["件号"]) == (
        "C301",
        "WS",
        2015,
        "Y",
        "BGS",
        1,
    )
    assert second["责任者"] == "'+86 村委会"
    assert second["日期"] == "20150101"
    assert third["题名"] == "控制字符不应让导出失败"
    assert third["备注"] == "'@mention"


def test_csv_starts_with_a_bom_and_neutralises_formulas(world):
    fonds = world.archive_fonds
    ItemFactory(fonds=fonds, title="@SUM(A1:A9)", note="\t=1+1", date="1949", date_researched=True)
    ItemFactory(fonds=fonds, title="普通题名")

    chunks = list(exports.items_csv(items=_items(fonds)))
    assert chunks[0].startswith("\ufeff档号,全宗号,")
    assert all(not chunk.startswith("\ufeff") for chunk in chunks[1:])
    encoded = "".join(chunks).encode("utf-8")
    assert encoded.startswith(b"\xef\xbb\xbf")

    header, *rows = csv.reader(io.StringIO(encoded.decode("utf-8-sig")))
    assert tuple(header) == exports.SHEET_COLUMNS
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
