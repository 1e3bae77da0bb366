"""Exports as a user opens them: the printed catalogue (rendered to PNG), XLSX and CSV."""

import io
from pathlib import Path

import pypdfium2 as pdfium
from openpyxl import load_workbook
from PIL import ImageChops
from reportlab.pdfgen import canvas

from holdings import exports
from holdings.models import Item
from tests.factories import ItemFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RARE = "堃镕珺〇"


def _items(fonds):
    return Item.objects.filter(fonds=fonds).select_related("fonds", "category", "retention").order_by("reference_code")


def test_catalogue_is_a4_landscape_with_every_item_and_rare_names(world):
    fonds = world.archive_fonds
    ItemFactory(
        fonds=fonds, title="关于孙堃、陈镕、周珺同志任职的通知", responsible="二〇一五年区委组织部", date="20150312"
    )
    for i in range(70):
        ItemFactory(fonds=fonds, title=f"关于村级组织换届选举工作的通知（第{i}号）", doc_number=f"青委〔2015〕{i}号")
    pdf = pdfium.PdfDocument(exports.catalogue_pdf(items=_items(fonds), fonds=fonds, heading={"year": "2015"}))
    assert len(pdf) >= 2
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (842, 595)
    first = pdf[0].get_textpage().get_text_range()
    assert fonds.name in first and "归档文件目录" in first and "J001-WS·2015-Y-BGS-0001" in first
    for char in RARE:
        assert char in first
    text_all = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "J001-WS·2015-Y-BGS-0071" in text_all
    assert "第 2 页" in text_all
    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=2).to_pil().save(ARTIFACTS / "catalogue-page1.png")


def _glyph(char: str):
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(120, 120))
    page.setFont(exports.cjk_font_name(), 80)
    page.drawString(20, 25, char)
    page.save()
    return pdfium.PdfDocument(buffer.getvalue())[0].render(scale=1).to_pil().convert("L")


def test_rare_name_characters_render_as_real_glyphs(db):
    missing = _glyph("\U0010fffd")  # a code point no font has: the font's empty/notdef glyph
    blank = _glyph(" ")
    for char in RARE:
        image = _glyph(char)
        assert ImageChops.difference(image, blank).getbbox() is not None, f"{char} drew nothing"
        assert ImageChops.difference(image, missing).getbbox() is not None, f"{char} drew the missing-glyph box"
    assert _glyph("堃").tobytes() != _glyph("镕").tobytes()


def test_xlsx_has_the_import_columns_and_neutralises_formulas(world):
    fonds = world.archive_fonds
    ItemFactory(fonds=fonds, title='=HYPERLINK("http://example.com","点我")', note="-5")
    ItemFactory(fonds=fonds, title="关于村务公开的通知")
    sheet = load_workbook(io.BytesIO(exports.items_xlsx(items=_items(fonds)))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == exports.SHEET_COLUMNS
    assert len(rows) == 3
    assert rows[1][exports.SHEET_COLUMNS.index("题名")] == '\'=HYPERLINK("http://example.com","点我")'
    assert rows[1][exports.SHEET_COLUMNS.index("备注")] == "'-5"
    assert rows[2][exports.SHEET_COLUMNS.index("档号")] == "J001-WS·2015-Y-BGS-0002"


def test_csv_starts_with_a_bom_and_neutralises_formulas(world):
    ItemFactory(fonds=world.archive_fonds, title="@SUM(A1:A9)")
    text = "".join(exports.items_csv(items=_items(world.archive_fonds)))
    assert text.startswith("\ufeff档号,")
    assert "'@SUM(A1:A9)" in text
