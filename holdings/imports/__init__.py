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

A large load into an empty or near-empty item table (a county's first load) drops the table's
non-unique indexes first, in a short transaction of its own that never keeps readers waiting
more than a moment, and leaves them to a follow-up task that builds them concurrently after the
load (``archives_site.bulk``): the job page says so until they are there. A load into a table
that holds records keeps every index. Unique indexes stay in place throughout.

The package: :mod:`.reading` turns the uploaded file into rows and maps its header,
:mod:`.rows` checks one row on its own, :mod:`.writing` keeps the report and the spool and writes
rows into the catalogue; this module runs a job — the check of the whole file against itself and
the catalogue, then the commit.

Progress: ``processed_rows`` advances during the check pass, which runs outside any transaction
so the UI sees it. The commit pass runs inside one transaction whose writes other connections
cannot see, so it publishes the rows written so far through the cache (:func:`write_progress`);
``imported_count`` is set when it commits. ``started_at`` and ``heartbeat_at`` (and the cached
write progress) tell a job a worker is working on from one nobody picked up or whose worker
died (:func:`job_is_stale`); such a job can be queued again (:func:`import_requeue`), which is
safe because :func:`import_run` is.

A checked job is committed once (:func:`import_commit`): its row is locked and linked to the job
that imports its file, and a second request is given that job.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.bulk import build_deferred, deferred_pending, indexes_dropped_for_load, worth_suspending
from archives_site.celery import enqueue_on_commit
from archives_site.scoping import Action, require_reach
from villages.roles import HOLDINGS

from .. import codes, services
from ..models import Fonds, ImportJob, ImportStatus, Item, NumberCounter, Volume
from .reading import (  # noqa: F401 - part of the package's interface
    SNIFF_BYTES,
    FormulaCell,
    Refused,
    _map_columns,
    _open_table,
    _text,
    check_upload,
    detect_encoding,
)
from .rows import ClassStats, ParsedRow, RowError, RowParser
from .writing import _BulkWriter, _CopyWriter, _Report, _Spool

logger = logging.getLogger(__name__)


BATCH_ROWS = 2000  # rows checked against the database per query, and per bulk_create
PROGRESS_EVERY = 5000


def _refusal() -> str:
    return _("You can only import into fonds held by units in your reach.")


def import_start(
    *,
    actor: Any,
    fonds: Fonds,
    uploaded_file: Any,
    dry_run: bool,
    keep_given_codes_as_original: bool = False,
    accept_dates_outside_year: bool = False,
    original_name: str | None = None,
) -> ImportJob:
    """Save an uploaded catalogue spreadsheet as an import job into ``fonds`` and queue it.

    The actor must be able to add records to the fonds' custodian unit. ``dry_run`` only checks;
    otherwise the rows are imported if the check finds no problem. A file over the upload limit,
    or a workbook that unpacks too large, is refused (``ValidationError``) before a job is made.
    """
    require_reach(actor, HOLDINGS, Action.ADD, fonds.custodian_unit_id, _refusal())
    check_upload(uploaded_file)
    name = original_name or (getattr(uploaded_file, "name", "") or "import.csv")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    with transaction.atomic():
        job = _new_job(
            actor=actor,
            fonds=fonds,
            original_name=name,
            dry_run=dry_run,
            keep_given_codes_as_original=keep_given_codes_as_original,
            accept_dates_outside_year=accept_dates_outside_year,
        )
        job.file.save(name, uploaded_file, save=False)
        job.save()
        _queue(job.pk)
    return job


def _new_job(*, actor: Any, fonds: Fonds, original_name: str, **options: bool) -> ImportJob:
    return ImportJob(
        fonds=fonds,
        custodian_unit_id=fonds.custodian_unit_id,
        original_name=original_name[:255],
        created_by=actor if getattr(actor, "pk", None) else None,
        **options,
    )


def _queue(job_id: int) -> None:
    from .. import tasks  # tasks import this module

    enqueue_on_commit(tasks.import_run, job_id)


def import_commit(*, actor: Any, job: ImportJob) -> tuple[ImportJob, bool]:
    """Import a checked file for real, once: (the job importing it, whether this call started it).

    The checked job's row is locked while the import job is made and linked to it, so two
    requests at once (a double click, a retried API call) make one import; the second is given
    the job the first made. Raises ``ValidationError`` for a job that did not pass a check.
    """
    require_reach(actor, HOLDINGS, Action.ADD, job.custodian_unit_id, _refusal())
    with transaction.atomic():
        checked = ImportJob.objects.select_for_update().select_related("fonds").get(pk=job.pk)
        earlier = checked.committed_job
        if earlier is not None and earlier.status != ImportStatus.FAILED:  # a failed import may be retried
            return ImportJob.objects.select_related("fonds").get(pk=earlier.pk), False
        if checked.status != ImportStatus.CHECKED or not checked.dry_run:
            raise ValidationError(_("Only a file that passed the check can be imported."), code="not_checked")
        new = _new_job(
            actor=actor,
            fonds=checked.fonds,
            original_name=checked.original_name,
            dry_run=False,
            keep_given_codes_as_original=checked.keep_given_codes_as_original,
            accept_dates_outside_year=checked.accept_dates_outside_year,
        )
        new.file.name = checked.file.name  # the same stored upload: it was checked as it is
        new.save()
        checked.committed_job = new
        checked.save(update_fields=["committed_job"])
        _queue(new.pk)
    return new, True


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "IMPORT_STALE_MINUTES", 10))


def _progress_key(job_id: int) -> str:
    return f"holdings:import-progress:{job_id}"


def write_progress(job: ImportJob) -> int | None:
    """Rows written so far by a running commit (its transaction hides them), or None."""
    if job.status != ImportStatus.IMPORTING:
        return None
    entry = cache.get(_progress_key(job.pk))
    return entry["written"] if entry else None


def last_sign_of_life(job: ImportJob) -> dt.datetime:
    """When the job last showed that someone works on it: made, taken up, progress reported."""
    moments = [moment for moment in (job.created_at, job.started_at, job.heartbeat_at) if moment]
    entry = cache.get(_progress_key(job.pk)) if job.status == ImportStatus.IMPORTING else None
    if entry:
        moments.append(dt.datetime.fromtimestamp(entry["at"], tz=dt.UTC))
    return max(moments)


def job_is_stale(job: ImportJob) -> bool:
    """A job waiting or running that no worker has reported on for ``IMPORT_STALE_MINUTES``:
    no worker took it up (none is running?) or its worker died."""
    return job.is_running and timezone.now() - last_sign_of_life(job) > stale_after()


def import_requeue(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue a stuck job again (its worker died, or none took it up). Safe whatever happened
    before: :func:`import_run` starts an interrupted job over and never imports one twice."""
    require_reach(actor, HOLDINGS, Action.ADD, job.custodian_unit_id, _refusal())
    try:
        with transaction.atomic():
            current = ImportJob.objects.select_for_update(nowait=True).get(pk=job.pk)
            if not job_is_stale(current):
                raise ValidationError(_("This import is not stuck: it is finished or a worker is on it."))
            current.heartbeat_at = timezone.now()  # not stuck again until it has waited as long
            current.message = _("Queued again by %(user)s.") % {"user": getattr(actor, "username", actor)}
            current.save(update_fields=["heartbeat_at", "message"])
            _queue(current.pk)
    except OperationalError as exc:  # the row is locked: a worker is writing the job right now
        raise ValidationError(_("A worker is importing this file right now; wait for it.")) from exc
    return current


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
    job.started_at = job.heartbeat_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.DONE).update(
        started_at=job.started_at, heartbeat_at=job.heartbeat_at
    )
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
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.CHECKING, processed_rows=0
    )
    report = _Report()
    total, warning = 0, ""
    classes: dict[tuple[int, int, int, str], ClassStats] = {}
    renumbered_codes: dict[str, int] = {}  # given codes kept as 原档号: no class number to clash on
    formulas: list[FormulaCell] = []
    spool = None if job.dry_run else _Spool(finished_rows=connection.vendor == "postgresql")
    try:
        with _open_table(job, formulas) as (header, rows):
            formulas.clear()  # the header's own
            columns = _map_columns(header)
            if columns.unknown:
                warning = _("Columns not imported: %(names)s.") % {"names": "、".join(columns.unknown)}
            parser = RowParser(job, columns)
            labels = {position: columns.label[name] for name, position in columns.index.items()}
            for batch in _batches(rows):
                total += len(batch)
                errors, checked = _check_batch(job, parser, batch, classes, renumbered_codes)
                for error in errors:
                    report.add(error)
                for cell in formulas:
                    if cell.position in labels:
                        report.add(_formula_warning(cell, labels[cell.position]), warning=True)
                formulas.clear()
                if spool is not None and report.count:
                    spool.close()
                    spool = None
                if spool is not None:
                    for row in checked:
                        if spool.finished_rows and row.number is not None:
                            _fill(row, parser)  # its 档号 and search text are known now
                        spool.add(row)
                if total % PROGRESS_EVERY < len(batch):
                    ImportJob.objects.filter(pk=job.pk).update(
                        processed_rows=total, encoding=job.encoding, heartbeat_at=timezone.now()
                    )
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


def _formula_warning(cell: FormulaCell, label: str) -> RowError:
    if cell.cached:
        problem = _("The cell holds a formula; the value the spreadsheet last computed for it was imported.")
    else:
        problem = _(
            "The cell holds a formula with no computed value; its text was imported, after an apostrophe "
            "so that it is never run."
        )
    return RowError(
        cell.line,
        label,
        cell.formula[:200],
        problem,
        _("Check the imported value; in the spreadsheet, replace the formula by its value if that is what is meant."),
    )


def _formula_note(count: int) -> str:
    if not count:
        return ""
    return _("%(count)s cells were not taken as written (formulas): see the warnings.") % {"count": count}


def _finish_check(job: ImportJob, report: _Report, total: int, status: str, message: str) -> None:
    report.save(job)
    job.total_rows = job.processed_rows = total
    job.error_count, job.errors_preview = report.count, report.preview
    job.warning_count, job.warnings_preview = report.warning_count, report.warnings_preview
    message = _join(message, _formula_note(report.warning_count))
    job.status, job.message = status, message
    job.heartbeat_at = timezone.now()
    if status != ImportStatus.CHECKED or job.dry_run:
        job.finished_at = timezone.now()
    _save_unless_done(
        job,
        "report",
        "encoding",
        "total_rows",
        "processed_rows",
        "error_count",
        "errors_preview",
        "warning_count",
        "warnings_preview",
        "status",
        "message",
        "heartbeat_at",
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
    renumbered_codes: dict[str, int],
) -> tuple[list[RowError], list[ParsedRow]]:
    """The errors of a batch of rows, in row order (each row alone, then against the file and the
    DB), and the rows that passed, in row order.

    A repeated 件号 in a class, and so a repeated 档号 (the template makes one code of one
    class and number), is found by the class's record of which row took each number; only the
    given codes kept as 原档号 (renumbered) need a dictionary of their own.
    """
    errors: list[RowError] = []
    rows: list[ParsedRow] = []
    numbered: list[ParsedRow] = []
    for line, cells in batch:
        row, row_errors = parser.parse(line, cells)
        errors.extend(row_errors)
        if row is None:
            continue
        stats = classes.setdefault(row.class_tuple, ClassStats())
        first = 0
        if row.renumbered:
            first = renumbered_codes.setdefault(row.original_code, line)
            first = 0 if first == line else first
        if row.number is None:
            if not first:
                stats.unnumbered += 1
        else:
            first = stats.take(row.number, line)
            if not first:
                numbered.append(row)
        if first:
            given = row.reference_code or row.original_code
            if given or "number" not in parser.columns:
                errors.append(
                    RowError(
                        line,
                        parser.columns.label.get("reference_code", "档号"),
                        given,
                        _("The same 档号 as row %(row)s.") % {"row": first},
                        _("Give each item its own 档号, or leave out the row that is there twice."),
                    )
                )
            else:
                errors.append(
                    RowError(
                        line,
                        parser.columns.label["number"],
                        str(row.number),
                        _(
                            "Row %(row)s of this file has the same 件号 in the same class (门类, 年度, 保管期限, 机构问题)."
                        )
                        % {"row": first},
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

    The job's creator must still be able to add records to the fonds' custodian (roles may
    have changed since the upload). A large load into an empty or near-empty table first drops
    the table's non-unique indexes in a short transaction of its own
    (:func:`archives_site.bulk.indexes_dropped_for_load`), and has them rebuilt concurrently by
    a follow-up task once the load is over, committed or not: searching is correct meanwhile,
    only slower, and the job page says so until the indexes are there. The rows written so far
    are published through the cache: the load's transaction hides them until it commits.
    """
    from .. import tasks  # tasks import this module

    require_reach(job.created_by, HOLDINGS, Action.ADD, job.fonds.custodian_unit_id, _refusal())
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.DONE).update(
        status=ImportStatus.IMPORTING, heartbeat_at=timezone.now()
    )
    job.status = ImportStatus.IMPORTING
    _publish(job.pk, 0)
    dropped: list[str] = []
    if worth_suspending(Item._meta.db_table, checked.total):
        dropped = indexes_dropped_for_load(Item._meta.db_table)
    try:
        _load(job, checked)
    finally:
        if dropped:
            job_id = job.pk
            enqueue_on_commit(tasks.build_indexes, job_id)  # at once outside a transaction


def _publish(job_id: int, written: int) -> None:
    cache.set(_progress_key(job_id), {"written": written, "at": time.time()}, timeout=6 * 3600)


def _load(job: ImportJob, checked: Checked) -> None:
    parser = checked.parser
    with transaction.atomic():
        # A second delivery of the task waits here, then finds the job done.
        if ImportJob.objects.select_for_update().get(pk=job.pk).status == ImportStatus.DONE:
            return
        next_numbers, keys = _lock_classes(job, checked)
        writer = _CopyWriter(job) if connection.vendor == "postgresql" else _BulkWriter(job)
        renumbered = written = 0
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
                written += writer.count
                writer.flush()
                _publish(job.pk, written)
        writer.flush()
        _publish(job.pk, checked.total)
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
        job.message = _join(message, checked.warning, _formula_note(job.warning_count))
        job.finished_at = job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "imported_count", "processed_rows", "message", "finished_at", "heartbeat_at"])


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
        tasks.build_indexes.apply_async((None,))


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
