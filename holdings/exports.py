"""Exports of the holdings: the printable item catalogue (归档文件目录, PDF), XLSX and CSV.

Every function iterates the items once, so memory stays flat for large selections.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from .models import Fonds, Item

# A TrueType-outline CJK font (reportlab cannot embed CFF fonts such as Noto CJK); it covers
# rare name characters (堃 镕 珺 〇). Debian package: fonts-wqy-zenhei.
CJK_FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
CJK_FONT = "WenQuanYiZenHei"

# DA/T 22-2015 fixes the columns of the 归档文件目录; they are the standard's own words.
CATALOGUE_COLUMNS = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
CATALOGUE_WIDTHS_MM = [12, 52, 36, 38, 82, 20, 14, 12, 21]

# Spreadsheet columns: the same names the import understands, so an export can be re-imported.
SHEET_COLUMNS = [
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
]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@cache
def cjk_font_name() -> str:
    """Register the embedded CJK font once; say which package to install if it is missing."""
    for path in CJK_FONT_PATHS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(CJK_FONT, str(path), subfontIndex=0))
            return CJK_FONT
    raise RuntimeError("No TrueType CJK font found for PDFs: install the Debian package fonts-wqy-zenhei.")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _sheet_row(item: Item) -> list[Any]:
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
        item.get_classification_display() if item.classification else "",
        str(item.get_open_status_display()),
        item.note,
        item.original_code,
    ]


def items_xlsx(*, items: Iterable[Item]) -> bytes:
    """An XLSX workbook (write-only, streamed) with one row per item."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("归档文件目录")
    sheet.append(SHEET_COLUMNS)
    for item in items:
        sheet.append([safe_cell(value) for value in _sheet_row(item)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def items_csv(*, items: Iterable[Item]) -> Iterator[str]:
    """CSV lines (UTF-8 with a BOM first, so spreadsheet programs read the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(SHEET_COLUMNS)
    yield "\ufeff" + flush()
    for item in items:
        writer.writerow([safe_cell(value) for value in _sheet_row(item)])
        yield flush()


def catalogue_pdf(*, items: Iterable[Item], fonds: Fonds, heading: dict[str, str] | None = None) -> bytes:
    """The 归档文件目录 of DA/T 22-2015: A4 landscape, the standard's columns, the header row
    repeated on every page, page numbers in the footer, the CJK font embedded."""
    font = cjk_font_name()
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1)
    sub = ParagraphStyle("sub", fontName=font, fontSize=10, leading=14, alignment=1)

    rows: list[list[Any]] = [[Paragraph(text, cell) for text in CATALOGUE_COLUMNS]]
    for index, item in enumerate(items, start=1):
        values = [
            str(index),
            item.reference_code or "",
            item.doc_number,
            item.responsible,
            item.title,
            item.display_date,
            item.get_classification_display() if item.classification else "",
            str(item.page_count or ""),
            item.note,
        ]
        rows.append([Paragraph(_escape(value), cell) for value in values])

    table = LongTable(rows, colWidths=[w * mm for w in CATALOGUE_WIDTHS_MM], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    details = "　".join(f"{label}：{value}" for label, value in _heading_parts(heading))
    story = [
        Paragraph("归档文件目录", title),
        Paragraph(_escape(f"全宗名称：{fonds.name}（{fonds.code}）"), sub),
    ]
    if details:
        story.append(Paragraph(_escape(details), sub))
    story += [Spacer(1, 4 * mm), table]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(document.pagesize[0] / 2, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=f"归档文件目录 {fonds.code}",
    )
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _heading_parts(heading: dict[str, str] | None) -> list[tuple[str, str]]:
    labels = {"year": "年度", "retention": "保管期限", "org": "机构（问题）"}
    return [(labels[key], value) for key, value in (heading or {}).items() if key in labels and value]


def _escape(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
