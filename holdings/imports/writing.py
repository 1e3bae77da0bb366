"""What the import writes: the problem report, the spool of checked rows, and the rows into the
catalogue (COPY on PostgreSQL, bulk_create elsewhere)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Iterator
from typing import Any

from django.core.files import File
from django.db import connection
from django.utils import timezone

from ..models import (
    ImportJob,
    Item,
    RecordStatus,
)
from .rows import ParsedRow, RowError, RowParser

PREVIEW_ERRORS = 200


# A fixed file format, like the import headers. 级别: 错误 (the file is not imported) or 警告 (it is,
# but the cell was not taken as written: say a formula).
REPORT_HEADER = ("行号", "列", "值", "问题", "如何修改", "级别")
ERROR, WARNING = "错误", "警告"


class _Report:
    """The complete list of problems and warnings, written as they are found to a temporary CSV
    file (UTF-8 with BOM); the first of each kept for the job page."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in save()
        self.text = io.TextIOWrapper(self.file, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.writer.writerow(REPORT_HEADER)
        self.count = 0
        self.preview: list[dict[str, Any]] = []
        self.warning_count = 0
        self.warnings_preview: list[dict[str, Any]] = []

    def add(self, error: RowError, *, warning: bool = False) -> None:
        if warning:
            self.warning_count += 1
            preview = self.warnings_preview
        else:
            self.count += 1
            preview = self.preview
        self.writer.writerow(
            (error.row, error.column, error.value, error.problem, error.fix, WARNING if warning else ERROR)
        )
        if len(preview) < PREVIEW_ERRORS:
            preview.append(error.as_dict())

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

    def add(self, row: ParsedRow) -> None:
        """Spool a checked row: finished (filled by the caller) when its 件号 is known."""
        if row.number is not None and self.finished_rows:
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
        Item.objects.bulk_create(self.items)  # the caller flushes every BATCH_ROWS rows
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
