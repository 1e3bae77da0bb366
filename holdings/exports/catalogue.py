"""The print-ready 归档文件目录 of DA/T 22-2015 as PDF: A4 landscape, the header row on every page.

Memory stays flat however large the fonds: reportlab's platypus keeps a whole document — every
row's flowables and every page — in memory until it is saved (a 210k-item fonds took a worker
past 1 GB). So a catalogue is written in 册 (books) of :data:`ITEMS_PER_BOOK` entries, each its
own PDF, its pages numbered on from the book before, as a bound catalogue is; only one book's
rows are ever held. A catalogue of one book is delivered as that PDF, a longer one as a ZIP of
its books (see :mod:`holdings.exports`).

DA/T 22 details: a withdrawn number (作废号) keeps its line with its 档号 and is marked 作废
instead of being printed as an entry; a destroyed record keeps its entry, marked 已销毁. The
档号 column is sized from the widest code of the export measured in the font, so a code never
wraps; 题名 takes what is left.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from ..models import Fonds, Item, RecordNames, RecordStatus

CJK_FONT_NAME = "WenQuanYiZenHei"
CJK_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
CJK_FONT_PACKAGE = "fonts-wqy-zenhei"

# The fixed column headings of the 归档文件目录 in DA/T 22-2015 (附录). They are the standard's
# own words, printed in Chinese whatever the interface language, so they are not translated;
# so are the marks of withdrawn and destroyed entries.
CATALOGUE_TITLE = "归档文件目录"
CATALOGUE_COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")
WITHDRAWN_TITLE = "（此号作废）"
WITHDRAWN_MARK = "作废"
DESTROYED_MARK = "已销毁"
PAGE_FOOTER = "第 {page} 页"
BOOK_LABEL = "第 {book} 册，共 {books} 册"
# The optional heading fields of the catalogue, in the order printed, with the standard's labels.
HEADING_LABELS = {"category": "门类", "year": "年度", "retention": "保管期限", "org": "机构(问题)"}
FONDS_LABELS = ("全宗名称", "全宗号")
HEADING_GAP = "&nbsp;" * 6

FONT_SIZE = 9
PAGE_SIZE = landscape(A4)
MARGIN = 15 * mm
TABLE_WIDTH = PAGE_SIZE[0] - 2 * MARGIN  # ≈ 757 pt
CELL_PADDING = 6  # reportlab's default left and right padding of a table cell
# Widths in points; 档号 is sized per export (:func:`code_column_width`), 题名 takes what is left.
BASE_WIDTHS = {"序号": 34, "档号": 132, "文号": 90, "责任者": 84, "日期": 60, "密级": 36, "页数": 32, "备注": 64}
TITLE_MIN_WIDTH = 150
CODE_FONT_MIN = 6.0  # the smallest 档号 that still reads well in print (about 2 mm)
CODE_COLUMN_MAX = TABLE_WIDTH - TITLE_MIN_WIDTH - sum(w for k, w in BASE_WIDTHS.items() if k != "档号")

# Entries per 册. A book of this many rows keeps a worker's memory near 100 MB (measured in
# bench/exports.py) and prints as a book of about 100-150 pages.
ITEMS_PER_BOOK = 2000


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


def code_width(code: str) -> float:
    """The printed width of a 档号 in the catalogue's font and size, in points."""
    return pdfmetrics.stringWidth(code, cjk_font_name(), FONT_SIZE)


@dataclass(frozen=True, slots=True)
class CodeColumn:
    """How the 档号 column prints: its width and the size of the codes in it, in points."""

    width: float
    font_size: float = FONT_SIZE


def code_column(widest_code: float) -> CodeColumn:
    """The 档号 column for an export whose widest code prints ``widest_code`` points wide (at
    :data:`FONT_SIZE`): never narrower than the default and wide enough that no code wraps.
    A code too wide for the room 题名 leaves (:data:`CODE_COLUMN_MAX`; a long fonds number
    with a long 机构问题 code) is printed smaller, down to :data:`CODE_FONT_MIN`, rather than
    broken over two lines."""
    needed = math.ceil(widest_code + 2 * CELL_PADDING + 1)
    if needed <= CODE_COLUMN_MAX:
        return CodeColumn(float(max(BASE_WIDTHS["档号"], needed)))
    room = CODE_COLUMN_MAX - 2 * CELL_PADDING - 1
    size = max(CODE_FONT_MIN, math.floor(FONT_SIZE * room / widest_code * 10) / 10)
    return CodeColumn(float(CODE_COLUMN_MAX), size)


def code_column_width(widest_code: float) -> float:
    """The 档号 column's width (see :func:`code_column`)."""
    return code_column(widest_code).width


def column_widths(code_column: float) -> list[float]:
    """Every column's width: the 档号 column's as given, 题名 takes what is left."""
    widths = {**BASE_WIDTHS, "档号": code_column}
    widths["题名"] = TABLE_WIDTH - sum(widths.values())
    return [widths[name] for name in CATALOGUE_COLUMNS]


def _paragraph_styles(font: str) -> dict[str, ParagraphStyle]:
    # wordWrap="CJK" breaks between any two characters: Chinese titles have no spaces.
    cell = ParagraphStyle("cell", fontName=font, fontSize=FONT_SIZE, leading=11, alignment=TA_LEFT, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=11, leading=15, alignment=TA_LEFT),
        "cell": cell,
        "header": ParagraphStyle("header", parent=cell, alignment=TA_CENTER),
    }


def heading_text(fonds: Fonds, heading: dict[str, str] | None) -> str:
    """The heading line: 全宗名称, 全宗号 and the given 门类, 年度, 保管期限, 机构(问题) (names, not
    codes: ``保管期限：永久``)."""
    heading = heading or {}
    unknown = set(heading) - set(HEADING_LABELS)
    if unknown:
        raise ValueError(f"Unknown catalogue heading field(s): {', '.join(sorted(unknown))}")
    parts = [f"{FONDS_LABELS[0]}：{fonds.name}", f"{FONDS_LABELS[1]}：{fonds.code}"]
    parts += [f"{label}：{heading[key]}" for key, label in HEADING_LABELS.items() if heading.get(key)]
    # Paragraphs collapse ordinary (and ideographic) spaces, so the fields are kept apart with
    # non-breaking ones.
    return HEADING_GAP.join(escape(part) for part in parts)


class _Cells:
    """Makes the cells of catalogue lines. A text that fits its column on one line is a plain
    string (reportlab draws it as is); only longer ones become wrapping Paragraphs, which cost
    ten times as much to lay out. Coded values print as their names (密级 秘密), looked up once
    per export, not per row. A 档号 prints in the code column's size (:func:`code_column`)."""

    def __init__(self, style: ParagraphStyle, widths: list[float], code_size: float = FONT_SIZE) -> None:
        self.style = style
        self.font = style.fontName
        self.code_size = code_size
        self.code_style = ParagraphStyle("code", parent=style, fontSize=code_size, leading=code_size + 2)
        self.room = {name: width - 2 * CELL_PADDING for name, width in zip(CATALOGUE_COLUMNS, widths, strict=True)}
        self.names = RecordNames(Item)

    def text(self, column: str, value: str) -> str | Paragraph:
        if not value:
            return ""
        size, style = (self.code_size, self.code_style) if column == "档号" else (FONT_SIZE, self.style)
        if "\n" not in value and pdfmetrics.stringWidth(value, self.font, size) <= self.room[column]:
            return value
        return Paragraph(escape(value), style)

    def row(self, index: int, item: Item) -> list[Any]:
        """One line of the catalogue. A withdrawn number shows its 序号 and 档号 and is marked
        作废 (its other fields are not an entry); a destroyed record is marked 已销毁."""
        code = self.text("档号", item.reference_code or "")
        if item.status == RecordStatus.WITHDRAWN:
            return [str(index), code, "", "", WITHDRAWN_TITLE, "", "", "", WITHDRAWN_MARK]
        note = item.note
        if item.status == RecordStatus.DESTROYED:
            note = f"{DESTROYED_MARK}；{note}" if note else DESTROYED_MARK
        return [
            str(index),
            code,
            self.text("文号", item.doc_number),
            self.text("责任者", item.responsible),
            self.text("题名", item.title),
            item.display_date,
            self.names.of(item, "classification") if item.classification else "",
            "" if item.page_count is None else str(item.page_count),
            self.text("备注", note),
        ]


def _table(
    rows: list[list[Any]], withdrawn: list[int], widths: list[float], font: str, code_size: float = FONT_SIZE
) -> LongTable:
    # LongTable only measures the rows that fit on the current page when splitting, which keeps
    # a book of thousands of rows linear instead of quadratic.
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), FONT_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (5, 0), (7, -1), "CENTER"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
    ]
    if code_size != FONT_SIZE:
        code = CATALOGUE_COLUMNS.index("档号")
        style += [("FONTSIZE", (code, 1), (code, -1), code_size), ("LEADING", (code, 1), (code, -1), code_size + 2)]
    style += [("TEXTCOLOR", (0, row), (-1, row), colors.HexColor("#666666")) for row in withdrawn]
    table.setStyle(TableStyle(style))
    return table


def _book(
    path: Path,
    items: list[Item],
    *,
    fonds: Fonds,
    heading: str,
    book_label: str,
    first_index: int,
    first_page: int,
    code: CodeColumn,
) -> int:
    """Write one 册 to ``path``; its pages are numbered from ``first_page``. Returns its page count."""
    font = cjk_font_name()
    styles = _paragraph_styles(font)
    header = [Paragraph(name, styles["header"]) for name in CATALOGUE_COLUMNS]
    rows: list[list[Any]] = [header]
    withdrawn = []
    widths = column_widths(code.width)
    cells = _Cells(styles["cell"], widths, code.font_size)
    for offset, item in enumerate(items):
        rows.append(cells.row(first_index + offset, item))
        if item.status == RecordStatus.WITHDRAWN:
            withdrawn.append(offset + 1)
    pages = [0]

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        pages[0] = canvas.getPageNumber()
        canvas.saveState()
        canvas.setFont(font, FONT_SIZE)
        number = first_page + canvas.getPageNumber() - 1
        canvas.drawCentredString(doc.pagesize[0] / 2, 8 * mm, PAGE_FOOTER.format(page=number))
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{CATALOGUE_TITLE} {fonds.name}",
        author=fonds.name,
    )
    story = [
        Paragraph(CATALOGUE_TITLE, styles["title"]),
        Spacer(0, 4 * mm),
        Paragraph(heading + (HEADING_GAP + escape(book_label) if book_label else ""), styles["heading"]),
        Spacer(0, 3 * mm),
        _table(rows, withdrawn, widths, font, code.font_size),
    ]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return pages[0]


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_catalogue(
    items: Iterable[Item],
    *,
    directory: Path,
    fonds: Fonds,
    heading: dict[str, str] | None = None,
    total: int,
    widest_code: float = 0.0,
    items_per_book: int | None = None,
    book_name: Callable[[int], str] = lambda book: f"{book:03d}.pdf",
    progress: Callable[[int], None] = lambda written: None,
) -> list[Path]:
    """Write the catalogue of ``items`` (``total`` of them) into ``directory`` as one PDF per
    册 of ``items_per_book`` entries, pages numbered on across books; returns the books' paths.

    ``widest_code`` is the printed width of the export's widest 档号 (:func:`code_width`), so
    the 档号 column fits every code. Dates are shown as catalogued, researched ones in brackets.
    ``progress`` is told the number of entries written after each book.
    """
    items_per_book = items_per_book or ITEMS_PER_BOOK
    text = heading_text(fonds, heading)
    code = code_column(widest_code)
    books = max(1, math.ceil(total / items_per_book))
    paths: list[Path] = []
    index, page = 1, 1
    for number, chunk in enumerate(_chunks(items, items_per_book), start=1):
        path = directory / book_name(number)
        label = BOOK_LABEL.format(book=number, books=max(books, number)) if books > 1 else ""
        page += _book(
            path, chunk, fonds=fonds, heading=text, book_label=label, first_index=index, first_page=page, code=code
        )
        index += len(chunk)
        paths.append(path)
        progress(index - 1)
    if not paths:  # an empty catalogue is still a page with its heading and column headings
        path = directory / book_name(1)
        _book(path, [], fonds=fonds, heading=text, book_label="", first_index=1, first_page=1, code=code)
        paths.append(path)
    return paths
