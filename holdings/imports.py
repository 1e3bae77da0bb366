"""Spreadsheet import of a legacy catalogue into one fonds (DESIGN §3 "Imported records keep
their 档号", §12 import target).

A job is always checked in full first — every row, nothing written — and committed only when the
check found no problem, all rows in one transaction (COPY on PostgreSQL).

The file is read and parsed once. The check streams it, checks each row alone, against the rest
of the file and against the catalogue (a batch of rows per query), and writes every row that
passes to a spool file on disk (:class:`_Spool`), finished as far as it can be: its COPY line
when its 件号 is known. The commit streams the spool into the table; only rows without a 件号
still need work there, since their numbers continue after the class's highest number at that
moment, under the class's counter lock. Memory stays flat however many rows the file has: the
check keeps one bitmap of used item numbers per numbering class and writes its report to a
temporary file as it goes.

A load large next to the table (a county's first load) leaves the table's non-unique indexes
to a follow-up task that builds them after the commit (``archives_site.bulk``): the job page says so
until they are there. Unique indexes stay in place throughout.

Progress: ``processed_rows`` advances during the check pass, which runs outside any transaction
so the UI sees it. The commit pass runs inside one transaction whose writes other connections
cannot see; the job shows ``importing`` meanwhile and ``imported_count`` is set when it commits.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import logging
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.bulk import build_deferred, deferred_pending, indexes_deferred, worth_suspending
from archives_site.scoping import Action, user_scope
from villages.roles import HOLDINGS

from . import codes, services
from .dates import parse_catalogue_date
from .models import (
    Category,
    Classification,
    Fonds,
    ImportJob,
    ImportStatus,
    Item,
    NumberCounter,
    OpenStatus,
    RecordStatus,
    RetentionPeriod,
    Volume,
)

logger = logging.getLogger(__name__)

BATCH_ROWS = 2000  # rows checked against the database per query, and per bulk_create
PROGRESS_EVERY = 5000
PREVIEW_ERRORS = 200
SNIFF_BYTES = 64 * 1024
MAX_NUMBER = 999_999  # bounds the per-class bitmap of used numbers (125 kB at most)
REPORT_HEADER = ("行号", "列", "值", "问题", "如何修改")  # a fixed file format, like the import headers

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
MAX_LENGTHS = {
    "reference_code": 80,
    "org_code": 16,
    "doc_number": 100,
    "responsible": 300,
    "title": 1000,
    "original_code": 80,
}
CLASSIFICATIONS = {
    "": Classification.NONE,
    "非密": Classification.NONE,
    "公开": Classification.NONE,
    "无": Classification.NONE,
    "秘密": Classification.SECRET,
    "机密": Classification.CONFIDENTIAL,
    "绝密": Classification.TOP_SECRET,
    **{choice.value: choice for choice in Classification if choice.value},
}
OPEN_STATUSES = {
    "": OpenStatus.UNREVIEWED,
    "未审核": OpenStatus.UNREVIEWED,
    "开放": OpenStatus.OPEN,
    "控制": OpenStatus.CONTROLLED,
    "控制使用": OpenStatus.CONTROLLED,
    "延期开放": OpenStatus.DEFERRED,
    **{choice.value: choice for choice in OpenStatus},
}
RETENTION_ALIASES = {"30年": "D30", "定期30": "D30", "10年": "D10", "定期10": "D10", "长期": "C", "短期": "D"}
_DOTS = str.maketrans({"・": "·", "•": "·", "‧": "·", "∙": "·"})
_HEADER_NOISE = re.compile(r"[\s_*()（）]")
_WHOLE = re.compile(r"\d+")
_YEAR = re.compile(r"(\d{4})年?")
_UNDECODED = re.compile("[\udc80-\udcff]")


class Refused(Exception):
    """The file as a whole cannot be read or lacks required columns."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it: the header is row 1
    column: str  # the column header as written in the file
    value: str
    problem: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "problem": self.problem, "fix": self.fix}


@dataclass(slots=True)
class ParsedRow:
    """One checked row: stored values, ready to become an item."""

    line: int
    category: Category
    year: int
    retention: RetentionPeriod
    org_code: str
    number: int | None  # None: numbered at commit after the class's highest number
    reference_code: str  # the given 档号 when it is kept as the item's code, else ""
    original_code: str
    title: str
    responsible: str
    doc_number: str
    date: str
    date_researched: bool
    page_count: int | None
    classification: str
    open_status: str
    note: str
    renumbered: bool = False  # its given 档号 did not match: kept as 原档号, numbered anew
    search_text: str = ""  # set by _fill() once the row has its number and 档号

    @property
    def class_tuple(self) -> tuple[int, int, int, str]:
        return (self.category.pk, self.year, self.retention.pk, self.org_code)

    @property
    def category_id(self) -> int:
        return self.category.pk

    @property
    def retention_id(self) -> int:
        return self.retention.pk


@dataclass
class ClassStats:
    """What the check learnt about one numbering class (few per file, however many rows)."""

    max_given: int = 0
    unnumbered: int = 0
    catalogue_top: int | None = None  # the class's highest number in the catalogue, looked up once
    used: bytearray = field(default_factory=bytearray)  # bit n set: number n is taken in the file

    def take(self, number: int) -> bool:
        """Mark ``number`` used; False if another row already has it."""
        index, bit = divmod(number, 8)
        if index >= len(self.used):
            self.used.extend(bytes(index + 1 - len(self.used)))
        if self.used[index] & (1 << bit):
            return False
        self.used[index] |= 1 << bit
        self.max_given = max(self.max_given, number)
        return True


@dataclass
class Columns:
    """Where each known field sits in the file, and the header it was found under."""

    index: dict[str, int]
    label: dict[str, str]
    unknown: list[str]

    def __contains__(self, name: str) -> bool:
        return name in self.index


# --- public API -------------------------------------------------------------------------------


def import_start(
    *, actor: Any, fonds: Fonds, uploaded_file: Any, dry_run: bool, keep_given_codes_as_original: bool = False
) -> ImportJob:
    """Save an uploaded catalogue spreadsheet as an import job into ``fonds`` and queue it.

    The actor must be able to add records to the fonds' custodian unit. ``dry_run`` only checks;
    otherwise the rows are imported if the check finds no problem.
    """
    from . import tasks  # tasks import this module

    if not user_scope(actor, HOLDINGS, Action.ADD).contains(fonds.custodian_unit_id):
        raise PermissionDenied(_("You can only import into fonds held by units in your reach."))
    name = (getattr(uploaded_file, "name", "") or "import.csv").replace("\\", "/").rsplit("/", 1)[-1]
    with transaction.atomic():
        job = ImportJob(
            fonds=fonds,
            custodian_unit_id=fonds.custodian_unit_id,
            original_name=name[:255],
            dry_run=dry_run,
            keep_given_codes_as_original=keep_given_codes_as_original,
            created_by=actor,
        )
        job.file.save(name, uploaded_file, save=False)
        job.save()
        transaction.on_commit(lambda: tasks.import_run.delay(job.pk))
    return job


def import_run(*, job_id: int) -> ImportJob:
    """Check the job's file and, unless it is a dry run, import it all-or-nothing.

    Safe to run again (a redelivered task): a job already imported is left alone, and an
    interrupted one had its transaction rolled back, so it starts over. Index builds that an
    earlier import deferred and a crash left owing are queued again first.
    """
    heal_indexes()
    job = ImportJob.objects.select_related("fonds", "created_by").get(pk=job_id)
    if job.status == ImportStatus.DONE:
        return job
    checked = None
    try:
        checked = _check(job)
        if checked is not None:
            _commit(job, checked)
    except Exception as exc:
        logger.exception("Import job %s failed", job.pk)
        _finish(
            job,
            ImportStatus.FAILED,
            _("The import failed and nothing was written: %(error)s") % {"error": str(exc)[:500] or type(exc).__name__},
        )
    finally:
        if checked is not None:
            checked.spool.close()
    return job


# --- reading the file -------------------------------------------------------------------------


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


# --- checking rows ----------------------------------------------------------------------------


class RowParser:
    """Turns the cells of one row into a :class:`ParsedRow` or a list of :class:`RowError`."""

    def __init__(self, job: ImportJob, columns: Columns) -> None:
        self.job, self.fonds, self.columns = job, job.fonds, columns
        self.categories: dict[str, Category] = {}
        for category in Category.objects.filter(is_active=True):
            self.categories[_code_key(category.code)] = category
            self.categories.setdefault(unicodedata.normalize("NFKC", category.name), category)
        self.default_category = self.categories.get("WS")
        periods = list(RetentionPeriod.objects.select_related("maps_to"))
        self.retentions: dict[str, RetentionPeriod] = {}
        for period in periods:
            for key in (period.code, period.name, re.sub(r"[（(].*[)）]", "", period.name)):
                self.retentions[_code_key(key)] = period
        by_code = {p.code: p for p in periods}
        for alias, code in RETENTION_ALIASES.items():
            if code in by_code:
                self.retentions.setdefault(_code_key(alias), by_code[code])
        self.templates: dict[int, Any] = {}
        self.this_year = timezone.localdate().year
        self.positions = [(name, position) for name, position in columns.index.items() if name != "date"]
        self.category_by_pk = {category.pk: category for category in self.categories.values()}
        self.retention_by_pk = {period.pk: period for period in periods}

    def template(self, category_id: int) -> Any:
        if category_id not in self.templates:
            self.templates[category_id] = codes.template_for(self.fonds, category_id)
        return self.templates[category_id]

    def parse(self, line: int, cells: Sequence[Any]) -> tuple[ParsedRow | None, list[RowError]]:
        errors: list[RowError] = []

        def error(name: str, value: Any, problem: str, fix: str) -> None:
            label = self.columns.label.get(name, COLUMNS[name][0])
            errors.append(RowError(line, label, _text(value)[:200], problem, fix))

        width = len(cells)
        values = dict.fromkeys(COLUMNS, "")
        for name, position in self.positions:
            if position < width:
                values[name] = _text(cells[position])
        date_position = self.columns.index.get("date")
        raw_date = cells[date_position] if date_position is not None and date_position < width else None
        for name, limit in MAX_LENGTHS.items():
            if len(values[name]) > limit:
                error(
                    name,
                    values[name],
                    _("Longer than %(limit)s characters.") % {"limit": limit},
                    _("Shorten it to at most %(limit)s characters.") % {"limit": limit},
                )

        if values["fonds_code"] and values["fonds_code"].upper() != self.fonds.code:
            error(
                "fonds_code",
                values["fonds_code"],
                _("This row belongs to another fonds; the file is being imported into %(fonds)s.")
                % {"fonds": self.fonds.code},
                _("Remove rows of other fonds, or import them into their own fonds."),
            )
        if not values["title"]:
            error("title", "", _("The title is missing."), _("Fill in the title (题名) of the item."))

        category = self.default_category if "category" not in self.columns else None
        if "category" in self.columns:
            category = self.categories.get(_code_key(values["category"]))
            if category is None:
                error(
                    "category",
                    values["category"],
                    _("Unknown category."),
                    _("Write a category code such as WS, KJ·JJ or KU·01."),
                )

        year = None
        match = _YEAR.fullmatch(values["year"])
        if match and 1000 <= int(match.group(1)) <= self.this_year:
            year = int(match.group(1))
        else:
            error(
                "year",
                values["year"],
                _("Not a year."),
                _("Write the year as four digits, between 1000 and %(year)s, e.g. 2015.") % {"year": self.this_year},
            )

        retention = self.retentions.get(_code_key(values["retention"]))
        if retention is None:
            error(
                "retention",
                values["retention"],
                _("Unknown retention period."),
                _("Write Y (永久), D30 (定期30年) or D10 (定期10年); 长期 and 短期 are accepted for old records."),
            )
        note = values["note"]
        if retention is not None and retention.is_legacy and retention.maps_to is not None:
            original = _("Original retention: %(value)s") % {"value": values["retention"]}
            note = f"{note}\n{original}" if note else original
            legacy_code, retention = retention.code, retention.maps_to
        else:
            legacy_code = None

        number = self._whole(values["number"], "number", error)
        page_count = self._whole(values["page_count"], "page_count", error)

        try:
            date, researched = parse_catalogue_date(raw_date)
        except ValidationError as exc:
            date, researched = "", False
            error(
                "date",
                raw_date,
                exc.messages[0],
                _("Write the date as YYYYMMDD, e.g. 20150312; put a date established by research in brackets."),
            )

        classification = CLASSIFICATIONS.get(values["classification"])
        if classification is None:
            error(
                "classification",
                values["classification"],
                _("Not a classification level."),
                _("Write 秘密, 机密 or 绝密, or leave it empty for unclassified records."),
            )
        open_status = OPEN_STATUSES.get(values["open_status"])
        if open_status is None:
            error(
                "open_status",
                values["open_status"],
                _("Unknown open status."),
                _("Write 开放, 控制, 延期开放 or 未审核 (empty means 未审核)."),
            )

        if errors or category is None or year is None or retention is None:
            return None, errors

        row = ParsedRow(
            line=line,
            category=category,
            year=year,
            retention=retention,
            org_code=values["org_code"],
            number=number,
            reference_code="",
            original_code=values["original_code"],
            title=values["title"],
            responsible=values["responsible"],
            doc_number=values["doc_number"],
            date=date,
            date_researched=researched,
            page_count=page_count,
            classification=classification,
            open_status=open_status,
            note=note,
        )
        given = _code_text(values["reference_code"])
        if given:
            self._check_given_code(row, given, legacy_code, values["reference_code"], error)
        return (None, errors) if errors else (row, errors)

    def _whole(self, text: str, name: str, error: Any) -> int | None:
        if not text:
            return None
        if _WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_NUMBER:
            return int(text)
        error(
            name,
            text,
            _("Not a whole number from 1 to %(max)s.") % {"max": MAX_NUMBER},
            _("Write digits only, e.g. 12."),
        )
        return None

    def _check_given_code(self, row: ParsedRow, given: str, legacy_code: str | None, raw: str, error: Any) -> None:
        """The given 档号 must be what the template builds from the row's own columns."""
        built: list[str] = []  # the current form first; a legacy record's code may show its old retention
        if row.number is not None:
            for retention_code in filter(None, (row.retention.code, legacy_code)):
                built.append(
                    codes.build_code(
                        self.template(row.category.pk),
                        fonds=self.fonds.code,
                        category=row.category.code,
                        year=row.year,
                        retention=retention_code,
                        org=row.org_code,
                        number=row.number,
                    )
                )
        if given in built:
            row.reference_code = given
            return
        if self.job.keep_given_codes_as_original:
            if row.original_code and row.original_code != given:
                error(
                    "original_code",
                    row.original_code,
                    _("The 档号 is to be kept as the original code, but this row already has another 原档号."),
                    _("Correct the 档号 so that it matches the row, or clear 原档号."),
                )
            row.original_code, row.number, row.renumbered = given, None, True
            return
        if row.number is None:
            error(
                "reference_code",
                raw,
                _("The row has a 档号 but no 件号, so the code cannot be checked."),
                _("Fill in 件号, or choose to keep given codes as original codes and renumber."),
            )
        else:
            error(
                "reference_code",
                raw,
                _("The 档号 does not match the row's own columns: they make %(code)s.") % {"code": built[0]},
                _(
                    "Correct 档号 or the columns it is made of (年度, 保管期限, 机构问题, 件号), or choose to keep "
                    "given codes as original codes and renumber."
                ),
            )


def _code_key(text: str) -> str:
    """Codes as people type them: full-width folded, any middle dot, ``.`` between letters."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOTS).strip().upper()
    return re.sub(r"(?<=[A-Z])\.(?=[A-Z0-9])", "·", folded)


def _code_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DOTS).strip()


@dataclass
class Checked:
    """The outcome of a clean check, all the commit needs: the commit never reads the file again."""

    total: int
    classes: dict[tuple[int, int, int, str], ClassStats]
    warning: str  # unknown columns, repeated in the final message
    parser: RowParser  # its categories, retention periods and code templates
    spool: _Spool


class _Report:
    """The complete error list, written as it is found to a temporary CSV file (UTF-8 with BOM)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in save()
        self.text = io.TextIOWrapper(self.file, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(REPORT_HEADER)
        self.count = 0
        self.preview: list[dict[str, Any]] = []

    def add(self, error: RowError) -> None:
        self.count += 1
        self.writer.writerow((error.row, error.column, error.value, error.problem, error.fix))
        if len(self.preview) < PREVIEW_ERRORS:
            self.preview.append(error.as_dict())

    def save(self, job: ImportJob) -> None:
        self.text.flush()
        self.file.seek(0)
        try:
            job.report.save(f"import-{job.pk}-report.csv", File(self.file), save=False)
        finally:
            self.text.close()


class _Spool:
    """The checked rows on their way to the commit, one line each, in the file's order.

    The check parses every row once and writes it here, on disk, so memory stays flat and the
    commit has nothing left to parse. A row whose 件号 is known is stored finished: the
    per-row columns of :data:`ROW_FIELDS` in PostgreSQL's COPY text format (its first column is
    the category id, a digit). A row without a 件号 is stored as ``#`` and the JSON of its values:
    its number, and so its 档号 and search text, can only be given inside the commit's
    transaction, after the class's highest number at that moment. Other databases (the SQLite
    trial) store every row that way.
    """

    def __init__(self, *, finished_rows: bool) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="\n")  # noqa: SIM115 - close()
        self.finished_rows = finished_rows

    def add(self, row: ParsedRow, parser: RowParser) -> None:
        if row.number is not None and self.finished_rows:
            _fill(row, parser)
            self.file.write(_copy_line(row))
        else:
            values = [getattr(row, name) for name in _SPOOLED_FIELDS]
            self.file.write("#" + json.dumps(values, ensure_ascii=False) + "\n")

    def lines(self) -> Iterator[str]:
        self.file.flush()
        self.file.seek(0)
        return iter(self.file)

    @staticmethod
    def unfinished(line: str, parser: RowParser) -> ParsedRow:
        values = dict(zip(_SPOOLED_FIELDS, json.loads(line[1:]), strict=True))
        values["category"] = parser.category_by_pk[values.pop("category_id")]
        values["retention"] = parser.retention_by_pk[values.pop("retention_id")]
        return ParsedRow(**values)

    def close(self) -> None:
        self.file.close()


_SPOOLED_FIELDS = tuple(
    "category_id" if name == "category" else "retention_id" if name == "retention" else name
    for name in ParsedRow.__dataclass_fields__
    if name != "search_text"
)


def _check(job: ImportJob) -> Checked | None:
    """Check every row without writing any; None when the file is refused or has problems.

    Unless the job is a dry run, the rows are spooled for the commit as they pass, until the
    first problem (from then on the file cannot be imported, only reported on).
    """
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING, processed_rows=0)
    report = _Report()
    total, warning = 0, ""
    classes: dict[tuple[int, int, int, str], ClassStats] = {}
    spool = None if job.dry_run else _Spool(finished_rows=connection.vendor == "postgresql")
    try:
        with _open_table(job) as (header, rows):
            columns = _map_columns(header)
            if columns.unknown:
                warning = _("Columns not imported: %(names)s.") % {"names": "、".join(columns.unknown)}
            parser = RowParser(job, columns)
            for batch in _batches(rows):
                total += len(batch)
                errors, checked = _check_batch(job, parser, batch, classes)
                for error in errors:
                    report.add(error)
                if spool is not None and report.count:
                    spool.close()
                    spool = None
                if spool is not None:
                    for row in checked:
                        spool.add(row, parser)
                if total % PROGRESS_EVERY < len(batch):
                    ImportJob.objects.filter(pk=job.pk).update(processed_rows=total, encoding=job.encoding)
    except Refused as refusal:
        report.add(RowError(1, "", "", str(refusal), _("Correct the file and upload it again.")))
        _finish_check(job, report, total, ImportStatus.INVALID, str(refusal))
        spool = _closed(spool)
        return None
    except BaseException:
        _closed(spool)
        raise
    if report.count:
        message = _(
            "%(errors)s problems found in %(rows)s rows; nothing was imported. Download the report, correct "
            "the file and upload it again."
        ) % {"errors": report.count, "rows": total}
        _finish_check(job, report, total, ImportStatus.INVALID, _join(message, warning))
        return _closed(spool)
    if total == 0:
        _finish_check(job, report, total, ImportStatus.INVALID, _("The file has column names but no rows."))
        return _closed(spool)
    message = _("No problems found in %(rows)s rows.") % {"rows": total}
    _finish_check(job, report, total, ImportStatus.CHECKED, _join(message, warning))
    if spool is None:  # a dry run
        return None
    return Checked(total=total, classes=classes, warning=warning, parser=parser, spool=spool)


def _closed(spool: _Spool | None) -> None:
    if spool is not None:
        spool.close()


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _finish_check(job: ImportJob, report: _Report, total: int, status: str, message: str) -> None:
    report.save(job)
    job.total_rows = job.processed_rows = total
    job.error_count, job.errors_preview = report.count, report.preview
    job.status, job.message = status, message
    if status != ImportStatus.CHECKED or job.dry_run:
        job.finished_at = timezone.now()
    _save_unless_done(
        job, "report", "encoding", "total_rows", "processed_rows", "error_count", "errors_preview", "status", "message"
    )


def _finish(job: ImportJob, status: str, message: str) -> None:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    _save_unless_done(job, "status", "message")


def _save_unless_done(job: ImportJob, *fields: str) -> None:
    """Never overwrite a job another delivery of the task has imported meanwhile."""
    values = {name: getattr(job, name) for name in (*fields, "finished_at")}
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.DONE).update(**values)


def _batches(rows: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[list[tuple[int, Sequence[Any]]]]:
    """Non-blank rows in lists of ``BATCH_ROWS``."""
    batch: list[tuple[int, Sequence[Any]]] = []
    for line, cells in rows:
        if any(_text(value) for value in cells):
            batch.append((line, cells))
            if len(batch) == BATCH_ROWS:
                yield batch
                batch = []
    if batch:
        yield batch


def _check_batch(
    job: ImportJob,
    parser: RowParser,
    batch: list[tuple[int, Sequence[Any]]],
    classes: dict[tuple[int, int, int, str], ClassStats],
) -> tuple[list[RowError], list[ParsedRow]]:
    """The errors of a batch of rows, in row order (each row alone, then against the file and the
    DB), and the rows that passed, in row order."""
    errors: list[RowError] = []
    rows: list[ParsedRow] = []
    numbered: list[ParsedRow] = []
    for line, cells in batch:
        row, row_errors = parser.parse(line, cells)
        errors.extend(row_errors)
        if row is None:
            continue
        stats = classes.setdefault(row.class_tuple, ClassStats())
        if row.number is None:
            stats.unnumbered += 1
        elif stats.take(row.number):
            numbered.append(row)
        else:
            errors.append(
                RowError(
                    line,
                    parser.columns.label["number"],
                    str(row.number),
                    _("Another row of this file has the same 件号 in the same class (门类, 年度, 保管期限, 机构问题)."),
                    _("Give each item of a class its own 件号."),
                )
            )
            continue
        rows.append(row)
    taken = _existing(job, parser, numbered, classes)
    if taken:
        errors.extend(taken)
        rows = []  # the file will not be imported: nothing to pass on
    errors.sort(key=lambda error: error.row)
    return errors, rows


def _existing(
    job: ImportJob, parser: RowParser, rows: list[ParsedRow], classes: dict[tuple[int, int, int, str], ClassStats]
) -> list[RowError]:
    """Rows whose 件号 or 档号 is already taken in the database.

    A 件号 above the highest number its class had in the catalogue when the check first met the
    class cannot be taken, so only the rest is looked up: none at all on a first load, nor when
    a file continues the numbering. (An item added meanwhile is caught by the unique index at
    commit, which then fails whole.)
    """
    if not rows:
        return []
    by_class: dict[tuple[int, int, int, str], list[int]] = {}
    for row in rows:
        stats = classes[row.class_tuple]
        if stats.catalogue_top is None:
            stats.catalogue_top = _catalogue_top(job, row.class_tuple)
        if row.number <= stats.catalogue_top:  # type: ignore[operator]
            by_class.setdefault(row.class_tuple, []).append(row.number)  # type: ignore[arg-type]
    taken = set()
    if by_class:
        condition = Q()
        for (category_id, year, retention_id, org_code), numbers in by_class.items():
            condition |= Q(
                category_id=category_id, year=year, retention_id=retention_id, org_code=org_code, number__in=numbers
            )
        taken = set(
            Item.objects.filter(condition, fonds=job.fonds, volume__isnull=True).values_list(
                "category_id", "year", "retention_id", "org_code", "number"
            )
        )
    codes_taken = _codes_taken([row.reference_code for row in rows if row.reference_code])
    errors = []
    for row in rows:
        if row.reference_code in codes_taken:
            errors.append(
                RowError(
                    row.line,
                    parser.columns.label["reference_code"],
                    row.reference_code,
                    _("This 档号 is already in the catalogue."),
                    _("Leave out rows that were imported before, or correct the 档号 and 件号."),
                )
            )
        elif (*row.class_tuple, row.number) in taken:
            errors.append(
                RowError(
                    row.line,
                    parser.columns.label["number"],
                    str(row.number),
                    _("This 件号 is already taken in this class of the fonds."),
                    _(
                        "Leave out rows that were imported before, or leave 件号 empty to number the item after the last one."
                    ),
                )
            )
    return errors


def _catalogue_top(job: ImportJob, class_tuple: tuple[int, int, int, str]) -> int:
    category_id, year, retention_id, org_code = class_tuple
    return (
        Item.objects.filter(
            fonds=job.fonds,
            volume__isnull=True,
            category_id=category_id,
            year=year,
            retention_id=retention_id,
            org_code=org_code,
        ).aggregate(top=Max("number"))["top"]
        or 0
    )


def _codes_taken(given: list[str]) -> set[str]:
    """Which of these 档号 an item or a volume already has (one query: batches are many)."""
    if not given:
        return set()
    if connection.vendor != "postgresql":
        found = set(Item.objects.filter(reference_code__in=given).values_list("reference_code", flat=True))
        return found | set(Volume.objects.filter(reference_code__in=given).values_list("reference_code", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT reference_code FROM {Item._meta.db_table} WHERE reference_code = ANY(%s) "  # noqa: S608 - table names
            f"UNION SELECT reference_code FROM {Volume._meta.db_table} WHERE reference_code = ANY(%s)",
            [given, given],
        )
        return {code for (code,) in cursor.fetchall()}


# --- committing -------------------------------------------------------------------------------


def _commit(job: ImportJob, checked: Checked) -> None:
    """Insert every spooled row in one transaction; counters continue after the highest number.

    A load large next to the table (a county's first load) drops the table's non-unique indexes
    and has them rebuilt after the commit, concurrently, by a follow-up task
    (:func:`archives_site.bulk.indexes_deferred`): searching is correct meanwhile, only slower,
    and the job page says so until the indexes are there.
    """
    from . import tasks  # tasks import this module

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING)
    job.status = ImportStatus.IMPORTING
    parser = checked.parser
    with transaction.atomic():
        # A second delivery of the task waits here, then finds the job done.
        if ImportJob.objects.select_for_update().get(pk=job.pk).status == ImportStatus.DONE:
            return
        next_numbers, keys = _lock_classes(job, checked)
        if worth_suspending(Item._meta.db_table, checked.total):
            job_id = job.pk
            indexes_deferred(Item._meta.db_table, then=lambda: tasks.build_indexes.delay(job_id))
        writer = _CopyWriter(job) if connection.vendor == "postgresql" else _BulkWriter(job)
        renumbered = 0
        for line in checked.spool.lines():
            if line.startswith("#"):
                row = _Spool.unfinished(line, parser)
                if row.number is None:
                    row.number = next_numbers[row.class_tuple]
                    next_numbers[row.class_tuple] += 1
                    renumbered += row.renumbered
                _fill(row, parser)
                writer.add(row)
            else:
                writer.add_line(line)
            if writer.count >= BATCH_ROWS:
                writer.flush()
        writer.flush()
        for class_tuple, stats in checked.classes.items():
            top = max(stats.max_given, next_numbers[class_tuple] - 1 if stats.unnumbered else 0)
            services.raise_counter(keys[class_tuple], top)
        audit_record(
            action="holdings.import",
            actor=job.created_by,
            obj=job.fonds,
            data={
                "job": job.pk,
                "file": job.original_name,
                "rows": checked.total,
                "classes": len(checked.classes),
                "renumbered": renumbered,
            },
        )
        job.status, job.imported_count, job.processed_rows = ImportStatus.DONE, checked.total, checked.total
        message = _("%(rows)s items imported into %(fonds)s.") % {"rows": checked.total, "fonds": job.fonds.code}
        job.message = _join(message, checked.warning)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "imported_count", "processed_rows", "message", "finished_at"])


def build_indexes(*, job_id: int | None = None) -> None:
    """Build the item table's indexes a large import deferred (or a crash left missing). Safe to
    run any number of times, also concurrently; the import page says "building" until done."""
    if build_deferred(Item._meta.db_table):
        logger.info("Item indexes are complete (after import job %s)", job_id)


def indexes_owed() -> bool:
    """Whether item indexes a large import dropped are still being built."""
    return bool(deferred_pending(Item._meta.db_table))


def heal_indexes() -> None:
    """Queue the index build if a deferred build is still owed (its worker died, say)."""
    from . import tasks  # tasks import this module

    if indexes_owed():
        tasks.build_indexes.delay(None)


def _lock_classes(
    job: ImportJob, checked: Checked
) -> tuple[dict[tuple[int, int, int, str], int], dict[tuple[int, int, int, str], str]]:
    """Lock the counters of the file's classes; the first free number of each class."""
    keys = {
        (c, y, r, o): codes.class_key(Item(fonds_id=job.fonds_id, category_id=c, year=y, retention_id=r, org_code=o))
        for (c, y, r, o) in checked.classes
    }
    NumberCounter.objects.bulk_create([NumberCounter(key=key) for key in keys.values()], ignore_conflicts=True)
    counters = dict(
        NumberCounter.objects.select_for_update()
        .filter(key__in=keys.values())
        .order_by("key")
        .values_list("key", "last_number")
    )
    in_catalogue = {
        (row["category_id"], row["year"], row["retention_id"], row["org_code"]): row["top"]
        for row in Item.objects.filter(fonds=job.fonds, volume__isnull=True, number__isnull=False)
        .values("category_id", "year", "retention_id", "org_code")
        .annotate(top=Max("number"))
        .order_by()
    }
    next_numbers = {
        class_tuple: max(counters.get(key, 0), in_catalogue.get(class_tuple, 0), checked.classes[class_tuple].max_given)
        + 1
        for class_tuple, key in keys.items()
    }
    return next_numbers, keys


# The per-row columns: what the check spools and the COPY lines begin with (category first: a
# digit, see _Spool). Every other column of holdings_item is the same for all items of a job.
ROW_FIELDS = (
    "category_id",
    "year",
    "retention_id",
    "org_code",
    "number",
    "reference_code",
    "original_code",
    "title",
    "responsible",
    "doc_number",
    "date",
    "date_researched",
    "page_count",
    "classification",
    "open_status",
    "note",
    "search_text",
)


def _record(job: ImportJob) -> Item:
    """The unsaved item each row is written into in turn (one instance: rows are many)."""
    fonds, now = job.fonds, timezone.now()
    return Item(
        fonds=fonds,
        status=RecordStatus.FILED,
        creating_unit_id=fonds.creating_unit_id,
        custodian_unit_id=fonds.custodian_unit_id,
        created_by_id=job.created_by_id,
        created_at=now,
        updated_at=now,
        filed_at=now,
    )


def _fill(row: ParsedRow, parser: RowParser) -> None:
    """Give a numbered row its 档号 (unless its given one is kept) and its search text."""
    if not row.reference_code:
        row.reference_code = codes.build_code(
            parser.template(row.category.pk),
            fonds=parser.fonds.code,
            category=row.category.code,
            year=row.year,
            retention=row.retention.code,
            org=row.org_code,
            number=row.number,  # type: ignore[arg-type]
        )
    row.search_text = services.search_text_for(row)  # type: ignore[arg-type]


class _BulkWriter:
    """Other databases (the embedded SQLite trial): ``bulk_create`` a batch at a time."""

    def __init__(self, job: ImportJob) -> None:
        self.record = _record(job)
        self.names = [f.attname for f in Item._meta.concrete_fields if not f.primary_key]
        self.items: list[Item] = []

    @property
    def count(self) -> int:
        return len(self.items)

    def add(self, row: ParsedRow) -> None:
        values = {name: getattr(self.record, name) for name in self.names}
        values.update({name: getattr(row, name) for name in ROW_FIELDS})
        self.items.append(Item(**values))

    def add_line(self, line: str) -> None:
        raise AssertionError("finished rows are spooled for PostgreSQL only")

    def flush(self) -> None:
        Item.objects.bulk_create(self.items, batch_size=BATCH_ROWS)
        self.items = []


class _CopyWriter:
    """``COPY holdings_item FROM STDIN`` (text format) a batch at a time, in the caller's
    transaction. Each line is the row's own columns (:data:`ROW_FIELDS`) followed by the columns
    all items of the job share (fonds, units, status, times …), formatted once here."""

    def __init__(self, job: ImportJob) -> None:
        record = _record(job)
        fields = {f.attname: f for f in Item._meta.concrete_fields if not f.primary_key}
        if missing := set(ROW_FIELDS) - set(fields):  # a renamed field must not lose a column silently
            raise LookupError(f"Item has no field(s) {missing}")
        shared = [f for name, f in fields.items() if name not in ROW_FIELDS]
        columns = [fields[name].column for name in ROW_FIELDS] + [f.column for f in shared]
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        self.sql = f"COPY {Item._meta.db_table} ({quoted}) FROM STDIN"
        self.suffix = (
            "\t"
            + "\t".join(_copy_text(f.get_db_prep_save(getattr(record, f.attname), connection)) for f in shared)
            + "\n"
        )
        self.lines: list[str] = []

    @property
    def count(self) -> int:
        return len(self.lines)

    def add(self, row: ParsedRow) -> None:
        self.add_line(_copy_line(row))

    def add_line(self, line: str) -> None:
        self.lines.append(line[:-1] + self.suffix)

    def flush(self) -> None:
        if not self.lines:
            return
        data = "".join(self.lines)
        self.lines = []
        with connection.cursor() as cursor:
            if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                cursor.copy_expert(self.sql, io.StringIO(data))
            else:  # psycopg 3
                with cursor.cursor.copy(self.sql) as copy:
                    copy.write(data)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format: ``\\N`` is NULL; backslash escapes the rest."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _copy_line(row: ParsedRow) -> str:
    """The row's own columns (:data:`ROW_FIELDS`, in that order) as one COPY text line.

    Written out rather than looped over :func:`_copy_text`: it runs once per row of the file.
    """
    escapes = _COPY_ESCAPES
    return (
        "\t".join(
            (
                str(row.category.pk),
                str(row.year),
                str(row.retention.pk),
                row.org_code.translate(escapes),
                str(row.number),
                row.reference_code.translate(escapes),
                row.original_code.translate(escapes),
                row.title.translate(escapes),
                row.responsible.translate(escapes),
                row.doc_number.translate(escapes),
                row.date.translate(escapes),
                "t" if row.date_researched else "f",
                "\\N" if row.page_count is None else str(row.page_count),
                str(row.classification).translate(escapes),
                str(row.open_status).translate(escapes),
                row.note.translate(escapes),
                row.search_text.translate(escapes),
            )
        )
        + "\n"
    )
