"""Reading an uploaded catalogue: XLSX or CSV (UTF-8, GBK, GB18030 detected), streamed row by row,
and its header mapped onto the catalogue's columns by their Chinese (or English) names."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
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


REQUIRED_COLUMNS = ("title", "year", "retention")  # 年度 and 保管期限 may come from a 档号 column instead
FROM_CODE = ("year", "retention")

DEFAULT_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_XLSX_MAX_UNPACKED_BYTES = 500 * 1024 * 1024
# A member larger than this that packs more than BOMB_RATIO times is refused (see _check_unpacked_size).
BOMB_MIN_BYTES = 16 * 1024 * 1024
BOMB_RATIO = 100

# Where a worksheet holds a formula: <f>, <f t="shared" …/>. Searched in the compressed-then-
# inflated sheet XML before the formula-reading pass, so plain workbooks never pay for it.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A cell that held a formula: what was imported instead of an empty value."""

    line: int
    position: int
    formula: str
    cached: bool  # its value as last computed by the spreadsheet was imported (else its text)


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


def upload_max_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES)


def xlsx_max_unpacked_bytes() -> int:
    return getattr(settings, "IMPORT_XLSX_MAX_UNPACKED_BYTES", DEFAULT_XLSX_MAX_UNPACKED_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


def check_upload(upload: Any) -> None:
    """Refuse an upload too large to take, or an XLSX whose contents unpack too large, with a
    message saying the limit (the form and the API call this before a job is made)."""
    size = getattr(upload, "size", None)
    if size is not None and size > upload_max_bytes():
        raise ValidationError(
            _("The file is %(size)s MB; at most %(limit)s MB can be uploaded. Split it into smaller files.")
            % {"size": _megabytes(size), "limit": _megabytes(upload_max_bytes())},
            code="file_too_large",
        )
    head = upload.read(4)
    upload.seek(0)
    if head == b"PK\x03\x04":
        try:
            _check_unpacked_size(upload)
        except Refused as refusal:
            raise ValidationError(str(refusal), code="xlsx_too_large") from refusal
        finally:
            upload.seek(0)


def _check_unpacked_size(raw: IO[bytes]) -> zipfile.ZipFile | None:
    """The workbook's zip, after checking what its members unpack to against the cap.

    The sizes come from the zip's directory; reading never returns more than a member declares,
    so a lying directory cannot get past the cap either.
    """
    try:
        archive = zipfile.ZipFile(raw)
    except zipfile.BadZipFile:
        return None  # openpyxl says what is wrong with it
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > xlsx_max_unpacked_bytes():
        raise Refused(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(limit)s MB that can be read. Save it as CSV, "
                "or split it into smaller workbooks."
            )
            % {"size": _megabytes(unpacked), "limit": _megabytes(xlsx_max_unpacked_bytes())}
        )
    for member in archive.infolist():
        # Spreadsheet XML packs about 5-20 times; a large member packed far tighter is a zip bomb
        # (one cell of hundreds of MB): refused before a parser holds it in memory.
        if member.file_size > BOMB_MIN_BYTES and member.file_size > BOMB_RATIO * max(member.compress_size, 1):
            raise Refused(
                _("The workbook holds %(name)s, which unpacks %(ratio)s times larger than it is packed: it is refused.")
                % {"name": member.filename, "ratio": member.file_size // max(member.compress_size, 1)}
            )
    return archive


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet's XML holds a formula (streamed: the XML is never held whole)."""
    for member in archive.infolist():
        if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
            continue
        with archive.open(member) as sheet:
            tail = b""
            while chunk := sheet.read(1 << 20):
                if _FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-16:]
    return False


@contextmanager
def _open_table(
    job: ImportJob, formulas: list[FormulaCell] | None = None
) -> Iterator[tuple[list[Any], Iterator[tuple[int, Sequence[Any]]]]]:
    """The header cells and an iterator of (spreadsheet row number, cells) over the data rows.

    Formula cells of an XLSX are appended to ``formulas`` as their rows are read.
    """
    with job.file.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
        raw.seek(0)
        if head.startswith(b"PK\x03\x04"):
            with _xlsx_rows(raw, [] if formulas is None else formulas) as rows:
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
def _xlsx_rows(raw: IO[bytes], formulas: list[FormulaCell]) -> Iterator[Iterator[tuple[int, Sequence[Any]]]]:
    import openpyxl

    archive = _check_unpacked_size(raw)
    with_formulas = archive is not None and _has_formulas(archive)
    raw.seek(0)
    try:
        workbook = openpyxl.load_workbook(raw, read_only=True, data_only=True)
        # A second reading of the same sheet gives each formula's text beside its cached value.
        texts = openpyxl.load_workbook(raw, read_only=True, data_only=False) if with_formulas else None
    except Exception as exc:
        raise Refused(_("The workbook cannot be opened (%(error)s). Save it again as .xlsx.") % {"error": exc}) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record a wrong sheet size; read every row there is
        # Read-only sheets yield blank rows too, from row 1, so the count is the row number.
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        if texts is None:
            yield rows
        else:
            formula_sheet = texts.worksheets[0]
            formula_sheet.reset_dimensions()
            yield _with_formulas(rows, formula_sheet.iter_rows(), formulas)
    finally:
        workbook.close()
        if texts is not None:
            texts.close()


def _with_formulas(
    rows: Iterator[tuple[int, Sequence[Any]]], cells: Iterator[Sequence[Any]], formulas: list[FormulaCell]
) -> Iterator[tuple[int, Sequence[Any]]]:
    """The rows, each formula cell holding its cached value or else its text, neutralised with a
    leading apostrophe (it is never evaluated again); every such cell noted in ``formulas``."""
    for (line, values), row_cells in zip(rows, cells, strict=False):
        replaced: list[Any] | None = None
        for position, cell in enumerate(row_cells):
            if getattr(cell, "data_type", None) != "f":
                continue
            formula = getattr(cell.value, "text", cell.value)  # ArrayFormula keeps its text there
            formula = str(formula or "")
            if not formula.startswith("="):
                formula = "=" + formula
            cached = position < len(values) and values[position] not in (None, "")
            if not cached:
                replaced = replaced or list(values)
                while len(replaced) <= position:
                    replaced.append(None)
                replaced[position] = "'" + formula
            formulas.append(FormulaCell(line, position, formula, cached))
        yield line, values if replaced is None else replaced


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
        raise Refused(_csv_problem(exc, line + 1)) from exc
    finally:
        text.detach()  # the caller closes the file


def _csv_problem(exc: csv.Error, row: int) -> str:
    """What is wrong at ``row`` of a CSV file, in words an archivist can act on (the csv
    module's own messages are English)."""
    if "field limit" in str(exc):
        return _(
            'Row %(row)s has a cell longer than %(limit)s characters. Usually a double quote (") is not '
            "closed, so the rows after it run into one cell: check the quotes in and after that row, "
            "or save the file as .xlsx and import that."
        ) % {"row": row, "limit": csv.field_size_limit()}
    return _(
        "Row %(row)s cannot be read as CSV (its quotes or separators are out of place). Open the file in "
        "a spreadsheet program, save it again as “CSV UTF-8” or .xlsx, and import that."
    ) % {"row": row}


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
    missing = [
        COLUMNS[name][0]
        for name in REQUIRED_COLUMNS
        if name not in columns and not (name in FROM_CODE and "reference_code" in columns)
    ]
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
