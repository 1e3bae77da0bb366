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

The package: :mod:`.reading` turns the uploaded file into rows and maps its header,
:mod:`.rows` checks one row on its own, :mod:`.writing` keeps the report and the spool and writes
rows into the catalogue; this module runs a job — the check of the whole file against itself and
the catalogue, then the commit.

Progress: ``processed_rows`` advances during the check pass, which runs outside any transaction
so the UI sees it. The commit pass runs inside one transaction whose writes other connections
cannot see; the job shows ``importing`` meanwhile and ``imported_count`` is set when it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.bulk import build_deferred, deferred_pending, indexes_deferred, worth_suspending
from archives_site.scoping import Action, user_scope
from villages.roles import HOLDINGS

from .. import codes, services
from ..models import Fonds, ImportJob, ImportStatus, Item, NumberCounter, Volume
from .reading import SNIFF_BYTES, Refused, _map_columns, _open_table, _text, detect_encoding  # noqa: F401 - part of the package's interface
from .rows import ClassStats, ParsedRow, RowError, RowParser
from .writing import _BulkWriter, _CopyWriter, _Report, _Spool

logger = logging.getLogger(__name__)


BATCH_ROWS = 2000  # rows checked against the database per query, and per bulk_create
PROGRESS_EVERY = 5000


def import_start(
    *, actor: Any, fonds: Fonds, uploaded_file: Any, dry_run: bool, keep_given_codes_as_original: bool = False
) -> ImportJob:
    """Save an uploaded catalogue spreadsheet as an import job into ``fonds`` and queue it.

    The actor must be able to add records to the fonds' custodian unit. ``dry_run`` only checks;
    otherwise the rows are imported if the check finds no problem.
    """
    from .. import tasks  # tasks import this module

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


@dataclass
class Checked:
    """The outcome of a clean check, all the commit needs: the commit never reads the file again."""

    total: int
    classes: dict[tuple[int, int, int, str], ClassStats]
    warning: str  # unknown columns, repeated in the final message
    parser: RowParser  # its categories, retention periods and code templates
    spool: _Spool


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
                        if spool.finished_rows and row.number is not None:
                            _fill(row, parser)  # its 档号 and search text are known now
                        spool.add(row)
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


def _commit(job: ImportJob, checked: Checked) -> None:
    """Insert every spooled row in one transaction; counters continue after the highest number.

    A load large next to the table (a county's first load) drops the table's non-unique indexes
    and has them rebuilt after the commit, concurrently, by a follow-up task
    (:func:`archives_site.bulk.indexes_deferred`): searching is correct meanwhile, only slower,
    and the job page says so until the indexes are there.
    """
    from .. import tasks  # tasks import this module

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
    from .. import tasks  # tasks import this module

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
