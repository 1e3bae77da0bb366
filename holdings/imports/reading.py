"""Reading an uploaded catalogue: XLSX or CSV (UTF-8, GBK, GB18030 detected), streamed row by row,
and its header mapped onto the catalogue's columns by their Chinese (or English) names."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from ..models import ImportJob

SNIFF_BYTES = 64 * 1024


# Accepted column names, compared after _header_key(); the first name is the canonical one.
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference_code": ("档号", "referencecode", "code"),
    "fonds_code": ("全宗号", "全宗", "全宗代码", "fonds", "fondscode", "fondsnumber"),
    "category": ("门类", "门类代码", "category"),
    "year": ("年度", "year"),
    "retention": ("保管期限", "期限", "retention", "retentionperiod"),
    "org_code": ("机构问题", "机构问题代码", "机构", "问题", "机构代码", "org", "orgcode"),
    "number": ("件号", "number", "itemnumber"),
    "doc_number": ("文号", "文件编号", "docnumber", "documentnumber"),
    "responsible": ("责任者", "responsible", "responsibleparty"),
    "title": ("题名", "文件题名", "title"),
    "date": ("日期", "文件日期", "成文日期", "date"),
    "page_count": ("页数", "pages", "pagecount"),
    "classification": ("密级", "classification"),
    "open_status": ("开放状态", "开放标识", "openstatus"),
    "note": ("备注", "remarks", "note", "notes"),
    "original_code": ("原档号", "originalcode", "originalreferencecode"),
}


REQUIRED_COLUMNS = ("title", "year", "retention")


_HEADER_NOISE = re.compile(r"[\s_*()（）]")


_UNDECODED = re.compile("[\udc80-\udcff]")


class Refused(Exception):
    """The file as a whole cannot be read or lacks required columns."""


@dataclass
class Columns:
    """Where each known field sits in the file, and the header it was found under."""

    index: dict[str, int]
    label: dict[str, str]
    unknown: list[str]

    def __contains__(self, name: str) -> bool:
        return name in self.index


def detect_encoding(head: bytes, *, complete: bool) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``gb18030`` from the first bytes of a CSV file.

    ``complete`` says ``head`` is the whole file; otherwise a character cut at its end is not
    held against it.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding
    raise Refused(_("The file is neither UTF-8 nor GB18030 (GBK) text. Save it as “CSV UTF-8” or as .xlsx."))


@contextmanager
def _open_table(job: ImportJob) -> Iterator[tuple[list[Any], Iterator[tuple[int, Sequence[Any]]]]]:
    """The header cells and an iterator of (spreadsheet row number, cells) over the data rows."""
    with job.file.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
        raw.seek(0)
        if head.startswith(b"PK\x03\x04"):
            with _xlsx_rows(raw) as rows:
                yield _split_header(rows)
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise Refused(_("Old .xls workbooks cannot be read. Save the file as .xlsx or CSV."))
        else:
            job.encoding = detect_encoding(head, complete=len(head) < SNIFF_BYTES)
            rows = _csv_rows(raw, job.encoding, head)
            try:
                yield _split_header(rows)
            finally:
                rows.close()  # detaches the text layer while the file is still open


def _split_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[list[Any], Iterator[tuple[int, Sequence[Any]]]]:
    for _line, cells in rows:
        if any(_text(cell) for cell in cells):
            return list(cells), rows
    raise Refused(_("The file is empty: the first row must hold the column names (题名, 年度, 保管期限 …)."))


@contextmanager
def _xlsx_rows(raw: IO[bytes]) -> Iterator[Iterator[tuple[int, Sequence[Any]]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except Exception as exc:
        raise Refused(_("The workbook cannot be opened (%(error)s). Save it again as .xlsx.") % {"error": exc}) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row there is
        # Read-only sheets yield blank rows too, from row 1, so the count is the row number.
        yield enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _csv_rows(raw: IO[bytes], encoding: str, head: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    first_line = head.split(b"\n", 1)[0]
    delimiter = "\t" if b"\t" in first_line and b"," not in first_line else ","
    # Undecodable bytes become lone surrogates, found row by row: the message names the row.
    text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
    line = 0
    try:
        for line, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            if any(_UNDECODED.search(cell) for cell in cells):
                raise Refused(
                    _(
                        "Row %(row)s is not %(encoding)s text like the rows before it. Save the whole file in one encoding."
                    )
                    % {"row": line, "encoding": encoding}
                )
            yield line, cells
    except csv.Error as exc:
        raise Refused(_("Row %(row)s cannot be read as CSV: %(error)s") % {"row": line + 1, "error": exc}) from exc
    finally:
        text.detach()  # the caller closes the file


def _header_key(text: Any) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", _text(text)).lower())


def _map_columns(header: list[Any]) -> Columns:
    by_key = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}
    columns = Columns(index={}, label={}, unknown=[])
    for position, cell in enumerate(header):
        label = _text(cell)
        name = by_key.get(_header_key(label))
        if not label:
            continue
        if name is None:
            columns.unknown.append(label)
        elif name in columns.index:
            raise Refused(
                _("The columns “%(first)s” and “%(second)s” both hold %(name)s. Keep one of them.")
                % {"first": columns.label[name], "second": label, "name": COLUMNS[name][0]}
            )
        else:
            columns.index[name], columns.label[name] = position, label
    missing = [COLUMNS[name][0] for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise Refused(
            _(
                "The file has no column %(names)s. The first row must name the columns, with at least 题名, 年度 and 保管期限."
            )
            % {"names": "、".join(missing)}
        )
    return columns


def _text(value: Any) -> str:
    if type(value) is str:  # every CSV cell, most XLSX cells
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
