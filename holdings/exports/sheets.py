"""Exports of item catalogues as spreadsheets (XLSX, CSV), written row by row to a file.

The columns are those the spreadsheet import reads (:data:`SHEET_COLUMNS`), so an export imports
back — coded values written as their names (门类 文书, 保管期限 定期30年), which the import reads
as it reads codes — followed by the record's status (:data:`STATUS_COLUMN`): a withdrawn number or a destroyed
record must not read as an ordinary entry.

Cells that a spreadsheet program would run as a formula are neutralised with a leading
apostrophe (:func:`safe_cell`): catalogue text is typed by many hands and imported from
elsewhere, and an export must never execute it on the reader's machine.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..models import Item, RecordNames

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
STATUS_COLUMN = "状态"
EXPORT_COLUMNS = (*SHEET_COLUMNS, STATUS_COLUMN)

# A cell starting with one of these is run as a formula by Excel, LibreOffice or WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"
# An XLSX sheet holds 1,048,576 rows: a larger export goes on over further sheets.
XLSX_ROWS_PER_SHEET = 1_000_000
PROGRESS_EVERY = 1000

CellValue = str | int | None
Progress = Callable[[int], None]


def safe_cell(value: CellValue) -> CellValue:
    """Neutralise spreadsheet formula injection: prefix text that would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


class _Rows:
    """Items as the export's columns, each coded value as its name (门类 文书, 保管期限 定期30年,
    密级 秘密 …: :class:`~holdings.models.RecordNames`, labels translated once per export). The
    import reads these names back as it reads codes, and the 档号 carries the codes."""

    def __init__(self) -> None:
        self.names = RecordNames(Item)

    def __call__(self, item: Item) -> list[CellValue]:
        names = self.names
        return [
            item.reference_code or "",
            item.fonds.code,
            names.of(item, "category"),
            item.year,
            names.of(item, "retention"),
            item.org_code,
            item.number,
            item.doc_number,
            item.responsible,
            item.title,
            item.display_date,
            item.page_count,
            names.of(item, "classification") if item.classification else "",
            names.of(item, "open_status"),
            item.note,
            item.original_code,
            names.of(item, "status"),
        ]


def _xlsx_cell(value: CellValue) -> CellValue:
    # openpyxl refuses control characters that XML cannot hold; drop them rather than fail.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return safe_cell(value)


def write_xlsx(items: Iterable[Item], path: Path, *, progress: Progress = lambda written: None) -> int:
    """Write the items to ``path`` as an ``.xlsx``; returns the number of rows written.

    openpyxl's write-only mode streams each sheet's rows to a temporary file and zips them on
    save, so memory stays flat however many items there are.
    """
    workbook = Workbook(write_only=True)
    sheet_row = _Rows()
    sheet = None
    written = 0
    for item in items:
        if written % XLSX_ROWS_PER_SHEET == 0:
            part = written // XLSX_ROWS_PER_SHEET + 1
            sheet = workbook.create_sheet(title=SHEET_TITLE if part == 1 else f"{SHEET_TITLE}{part}")
            sheet.append(list(EXPORT_COLUMNS))
        sheet.append([_xlsx_cell(value) for value in sheet_row(item)])
        written += 1
        if written % PROGRESS_EVERY == 0:
            progress(written)
    if sheet is None:
        workbook.create_sheet(title=SHEET_TITLE).append(list(EXPORT_COLUMNS))
    workbook.save(str(path))
    progress(written)
    return written


def write_csv(items: Iterable[Item], path: Path, *, progress: Progress = lambda written: None) -> int:
    """Write the items to ``path`` as CSV (UTF-8 with a BOM, so Excel reads the Chinese text
    correctly); returns the number of rows written."""
    written = 0
    sheet_row = _Rows()
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(UTF8_BOM)
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for item in items:
            writer.writerow([safe_cell(value) for value in sheet_row(item)])
            written += 1
            if written % PROGRESS_EVERY == 0:
                progress(written)
    progress(written)
    return written
