"""Exports of item catalogues: the print-ready 归档文件目录 (PDF, DA/T 22-2015) and spreadsheets.

Every export iterates its items once, so a view can pass ``Item.objects.filter(...)`` for a
whole fonds: a queryset is read in chunks with its category and retention joined.

Spreadsheet cells that a spreadsheet program would run as a formula are neutralised with a
leading apostrophe (:func:`safe_cell`): catalogue text is typed by many hands and imported
from elsewhere, and an export must never execute it on the reader's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from .models import Fonds, Item

CJK_FONT_NAME = "WenQuanYiZenHei"
CJK_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CJK_FONT_PACKAGE = "fonts-wqy-zenhei"

# The fixed column headings of the 归档文件目录 in DA/T 22-2015 (附录). They are the standard's
# own words, printed in Chinese whatever the interface language, so they are not translated.
CATALOGUE_TITLE = "归档文件目录"
CATALOGUE_COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")
# Widths in points for A4 landscape less 15 mm margins (≈757 pt); 题名 takes what is left.
CATALOGUE_WIDTHS = (30, 132, 90, 84, 229, 60, 36, 32, 64)
PAGE_FOOTER = "第 {page} 页"
# The optional heading fields of the catalogue, in the order printed, with the standard's labels.
HEADING_LABELS = {"year": "年度", "retention": "保管期限", "org": "机构(问题)"}
FONDS_LABELS = ("全宗名称", "全宗号")
HEADING_GAP = "&nbsp;" * 6

# The spreadsheet columns are those the spreadsheet import reads, so an export imports back.
SHEET_TITLE = "归档文件目录"
SHEET_COLUMNS = (
    "档号",
    "全宗号",
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
    "开放状态",
    "备注",
    "原档号",
)

# A cell starting with one of these is run as a formula by Excel, LibreOffice or WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"
CHUNK_SIZE = 500

CellValue = str | int | None


def cjk_font_name() -> str:
    """Register the embedded CJK font once and return its reportlab name.

    WenQuanYi Zen Hei covers the rare characters found in village names and personal names
    (堃, 镕, 珺, 〇); reportlab embeds only the glyphs a document uses.
    """
    if CJK_FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return CJK_FONT_NAME
    if not CJK_FONT_PATH.is_file():
        raise RuntimeError(
            f"The CJK font {CJK_FONT_PATH} is missing: install the Debian package {CJK_FONT_PACKAGE} "
            f"(apt-get install {CJK_FONT_PACKAGE}) to print catalogues."
        )
    pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(CJK_FONT_PATH), subfontIndex=0))
    return CJK_FONT_NAME


def safe_cell(value: CellValue) -> CellValue:
    """Neutralise spreadsheet formula injection: prefix text that would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def _each_item(items: Iterable[Item]) -> Iterator[Item]:
    """Iterate once; a queryset is read in chunks with the rows' category and retention joined."""
    if isinstance(items, QuerySet):
        return items.select_related("fonds", "category", "retention").iterator(chunk_size=CHUNK_SIZE)
    return iter(items)


def _classification_label(item: Item) -> str:
    return str(item.get_classification_display()) if item.classification else ""


# --- PDF catalogue -----------------------------------------------------------------------------


def _paragraph_styles(font: str) -> dict[str, ParagraphStyle]:
    # wordWrap="CJK" breaks between any two characters: Chinese titles have no spaces.
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=11, alignment=TA_LEFT, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=11, leading=15, alignment=TA_LEFT),
        "cell": cell,
        "header": ParagraphStyle("header", parent=cell, alignment=TA_CENTER),
    }


def _heading_text(fonds: Fonds, heading: dict[str, str] | None) -> str:
    heading = heading or {}
    unknown = set(heading) - set(HEADING_LABELS)
    if unknown:
        raise ValueError(f"Unknown catalogue heading field(s): {', '.join(sorted(unknown))}")
    parts = [f"{FONDS_LABELS[0]}：{fonds.name}", f"{FONDS_LABELS[1]}：{fonds.code}"]
    parts += [f"{label}：{heading[key]}" for key, label in HEADING_LABELS.items() if heading.get(key)]
    # Paragraphs collapse ordinary (and ideographic) spaces, so the fields are kept apart with
    # non-breaking ones.
    return HEADING_GAP.join(escape(part) for part in parts)


def _catalogue_row(index: int, item: Item, style: ParagraphStyle) -> list[Any]:
    def text(value: str) -> Paragraph:
        return Paragraph(escape(value), style)

    return [
        str(index),
        text(item.reference_code or ""),
        text(item.doc_number),
        text(item.responsible),
        text(item.title),
        item.display_date,
        _classification_label(item),
        "" if item.page_count is None else str(item.page_count),
        text(item.note),
    ]


def _catalogue_table(items: Iterable[Item], font: str, styles: dict[str, ParagraphStyle]) -> LongTable:
    header = [Paragraph(name, styles["header"]) for name in CATALOGUE_COLUMNS]
    rows = [header] + [
        _catalogue_row(index, item, styles["cell"]) for index, item in enumerate(_each_item(items), start=1)
    ]
    # LongTable only measures the rows that fit on the current page when splitting, which keeps
    # catalogues of thousands of items linear instead of quadratic.
    table = LongTable(rows, colWidths=CATALOGUE_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("ALIGN", (5, 0), (7, -1), "CENTER"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ]
        )
    )
    return table


def _footer(font: str) -> Any:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(doc.pagesize[0] / 2, 8 * mm, PAGE_FOOTER.format(page=canvas.getPageNumber()))
        canvas.restoreState()

    return draw


def catalogue_pdf(*, items: Iterable[Item], fonds: Fonds, heading: dict[str, str] | None = None) -> bytes:
    """The print-ready 归档文件目录 of DA/T 22-2015: A4 landscape, the header row on every page.

    ``heading`` adds 年度, 保管期限 and 机构(问题) to the heading line (keys ``year``,
    ``retention``, ``org``). Dates are shown as catalogued, researched dates in brackets.
    """
    font = cjk_font_name()
    styles = _paragraph_styles(font)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{CATALOGUE_TITLE} {fonds.name}",
        author=fonds.name,
    )
    story = [
        Paragraph(CATALOGUE_TITLE, styles["title"]),
        Spacer(0, 4 * mm),
        Paragraph(_heading_text(fonds, heading), styles["heading"]),
        Spacer(0, 3 * mm),
        _catalogue_table(items, font, styles),
    ]
    footer = _footer(font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- spreadsheets ------------------------------------------------------------------------------


def _sheet_row(item: Item) -> list[CellValue]:
    """One item as the import's columns: codes for category and retention, labels for the rest."""
    return [
        item.reference_code or "",
        item.fonds.code,
        item.category.code,
        item.year,
        item.retention.code,
        item.org_code,
        item.number,
        item.doc_number,
        item.responsible,
        item.title,
        item.display_date,
        item.page_count,
        _classification_label(item),
        str(item.get_open_status_display()),
        item.note,
        item.original_code,
    ]


def _xlsx_cell(value: CellValue) -> CellValue:
    # openpyxl refuses control characters that XML cannot hold; drop them rather than fail.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return safe_cell(value)


def items_xlsx(*, items: Iterable[Item]) -> bytes:
    """The items as an ``.xlsx`` with the import's columns, written row by row (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=SHEET_TITLE)
    sheet.append(list(SHEET_COLUMNS))
    for item in _each_item(items):
        sheet.append([_xlsx_cell(value) for value in _sheet_row(item)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Echo:
    """A file-like object whose ``write`` hands the line back, so ``csv.writer`` can stream."""

    def write(self, value: str) -> str:
        return value


def items_csv(*, items: Iterable[Item]) -> Iterator[str]:
    """The items as CSV lines with the import's columns; the first line starts with a UTF-8 BOM
    so Excel reads the Chinese text correctly. Suited to ``StreamingHttpResponse``."""
    writer = csv.writer(_Echo())
    yield UTF8_BOM + writer.writerow(SHEET_COLUMNS)
    for item in _each_item(items):
        yield writer.writerow([safe_cell(value) for value in _sheet_row(item)])
