"""Exports of item catalogues — the spreadsheet (XLSX, CSV) and the printed 归档文件目录 (PDF) —
written off the request path by a Celery job (queue ``reports``), with progress and a download.

A job (:class:`~holdings.models.ExportJob`) keeps what was asked — the list's filters and search
terms, checked when it is created (:func:`export_params`) — never the rows: the worker reads them
when it runs through :func:`holdings.selectors.catalogue_rows` as the job's creator, so the reach
that applies is the one they have then, and every row passes :func:`holdings.selectors.withhold`
(a restricted row the creator may not see in full shows its 档号 and status only).

Memory stays flat: rows are read in chunks from a server-side cursor; spreadsheets are written
row by row to a temporary file (:mod:`.sheets`); the PDF in 册 of a bounded number of entries
(:mod:`.catalogue`), delivered as one PDF or, past one book, a ZIP of the books. The finished file
goes to storage under the job's id. A job is idempotent: running it again (a redelivered task)
writes the same file over the same name, a finished job is left alone, and two workers never
write one job at once (a PostgreSQL advisory lock, released if a worker dies).

Only a job's creator sees it (:func:`export_jobs`). Each export is audited when it is written:
who, which format, filters and search, how many rows and how many were withheld.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archives_site.audit import audit_record
from archives_site.celery import enqueue_on_commit
from villages.selectors import unit_list

from .. import selectors
from ..dates import validate_year
from ..filtersets import ItemFilterSet
from ..models import ExportJob, ExportStatus, Fonds, Item, RecordNames, Volume
from .catalogue import (
    CATALOGUE_COLUMNS,
    CATALOGUE_TITLE,
    CJK_FONT_NAME,
    CJK_FONT_PACKAGE,
    CJK_FONT_PATH,
    ITEMS_PER_BOOK,
    cjk_font_name,
    code_width,
    write_catalogue,
)
from .sheets import EXPORT_COLUMNS, SHEET_COLUMNS, SHEET_TITLE, safe_cell, write_csv, write_xlsx

__all__ = [
    "CATALOGUE_COLUMNS",
    "CATALOGUE_TITLE",
    "CJK_FONT_NAME",
    "CJK_FONT_PACKAGE",
    "CJK_FONT_PATH",
    "EXPORT_COLUMNS",
    "FORMATS",
    "ITEMS_PER_BOOK",
    "SHEET_COLUMNS",
    "SHEET_TITLE",
    "cjk_font_name",
    "content_disposition",
    "export_fonds",
    "export_jobs",
    "export_params",
    "export_requeue",
    "export_run",
    "export_start",
    "filter_labels",
    "safe_cell",
    "write_catalogue",
    "write_csv",
    "write_xlsx",
]

logger = logging.getLogger(__name__)

FORMATS = ("xlsx", "csv", "pdf")
EXPORT_QUEUE = "reports"  # DESIGN §7: exports and reports share a queue of their own
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}
CHUNK_SIZE = 2000  # rows per fetch from the server-side cursor
MAX_QUERY_LENGTH = 200
# Characters that file systems or browsers refuse in a file name.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# The advisory-lock namespace of export jobs (pg_try_advisory_lock(key, job id)).
_LOCK_NAMESPACE = 0x6578  # "ex"


def export_jobs(*, user: Any) -> QuerySet[ExportJob]:
    """The export jobs ``user`` may see: their own, newest first."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by_id=user.pk).order_by("-id")


# The list filters by the names the list's form gives them (门类, 年度, 保管期限 …).
FILTER_LABELS = {
    "fonds": gettext_lazy("Fonds"),
    "category": gettext_lazy("Category"),
    "year": gettext_lazy("Year"),
    "retention": gettext_lazy("Retention"),
    "open_status": gettext_lazy("Open status"),
    "status": gettext_lazy("Status"),
    "unit": gettext_lazy("Unit"),
    "volume": gettext_lazy("Volume"),
}


def _filter_label(name: str) -> str:
    if name in FILTER_LABELS:
        return str(FILTER_LABELS[name])
    field = ItemFilterSet.base_filters.get(name)
    return str(field.label) if field is not None and field.label else name


def _filter_value(name: str, value: str, *, user: Any, names: RecordNames) -> str:
    """A filter's value as a person reads it: 门类 and 保管期限 by name, choices by label, a
    unit or volume in reach by its name or 档号 (otherwise, and for the 年度, as given)."""
    if name == "category":
        return names.category(pk=value)
    if name == "retention":
        return names.retention(value)
    if name in ("open_status", "status"):
        return names.label(name, value)
    if name in ("unit", "volume") and re.fullmatch(r"\d{1,18}", value):
        if name == "unit":
            found = unit_list(user=user).filter(pk=int(value)).values_list("name", flat=True).first()
        else:
            found = (
                selectors.visible(Volume, user=user).filter(pk=int(value)).values_list("reference_code", flat=True)
            ).first()
        return found or value
    return value


def filter_labels(filters: Mapping[str, str], *, user: Any = None) -> list[tuple[str, str]]:
    """The filters of an export as (label, name) pairs for a person to read (the fonds aside):
    ``("保管期限", "定期30年")``, never ``("retention code", "D30")``."""
    names = RecordNames(Item)
    return [
        (_filter_label(name), _filter_value(name, value, user=user, names=names))
        for name, value in filters.items()
        if name != "fonds"
    ]


def export_params(*, user: Any, fmt: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """What an export of the item list is asked for, checked: ``{"filters", "q", "language"}``.

    ``data`` is the list's query (its filters and ``q``; other keys such as the page are
    ignored). Raises ``ValidationError`` with a message a person can act on for a bad value (a
    NUL character, a filter that is not a number, a year out of range, a too long search) and
    ``Fonds.DoesNotExist`` when the printed catalogue's fonds is not one the user sees.
    """
    if fmt not in FORMATS:
        raise ValidationError(_("Unknown export format: %(format)s.") % {"format": fmt[:20]}, code="format")
    for key in data:
        values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
        if "\x00" in key or any("\x00" in str(value) for value in values):
            raise ValidationError(
                _("The request contains a NUL character (\\x00). Remove it from the search or filters."), code="nul"
            )
    q = str(data.get("q") or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise ValidationError(
            _("The search is too long: at most %(n)s characters.") % {"n": MAX_QUERY_LENGTH}, code="q_too_long"
        )
    filters = {
        name: str(data[name]).strip() for name in ItemFilterSet.base_filters if str(data.get(name) or "").strip()
    }
    if "year" in filters and re.fullmatch(r"-?\d{1,9}", filters["year"]):
        try:
            validate_year(int(filters["year"]))
        except ValidationError as exc:
            raise ValidationError([f"{_filter_label('year')}: {message}" for message in exc.messages]) from exc
    try:
        selectors.catalogue_rows(Item, user=user, filters=filters, q=q)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                [f"{_filter_label(name)}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
            ) from exc
        raise
    if fmt == "pdf":
        if "fonds" not in filters:
            raise ValidationError(
                _("Choose a fonds first: the printed catalogue is made per fonds."), code="fonds_required"
            )
        if export_fonds(user=user, filters=filters) is None:
            raise Fonds.DoesNotExist
    return {"filters": filters, "q": q, "language": translation.get_language() or settings.LANGUAGE_CODE}


def export_start(*, actor: Any, fmt: str, params: dict[str, Any]) -> ExportJob:
    """Create an export job of the item list for ``actor`` with ``params`` (from
    :func:`export_params`) and queue it once the job is committed."""
    from .. import tasks  # tasks import this module

    with transaction.atomic():
        job = ExportJob.objects.create(created_by=actor, kind="items", format=fmt, params=params)
        enqueue_on_commit(tasks.export_run, job.pk, queue=EXPORT_QUEUE)
    return job


def export_requeue(*, job: ExportJob) -> None:
    """Queue a job again that no worker has finished (safe: a run is idempotent)."""
    from .. import tasks

    if job.status in (ExportStatus.PENDING, ExportStatus.RUNNING, ExportStatus.FAILED):
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.PENDING, message="")
        enqueue_on_commit(tasks.export_run, job.pk, queue=EXPORT_QUEUE)


@contextlib.contextmanager
def _exclusive(job_id: int) -> Iterator[bool]:
    """True while this process alone writes the job (a session advisory lock on PostgreSQL: a
    dead worker's lock goes with its connection, so a redelivered task can take the job over)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, job_id])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, job_id])


def export_run(*, job_id: int) -> ExportJob:
    """Write the job's file. Safe to run again: a finished job is left alone, one another
    worker is writing is left to it, and an interrupted one starts over."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job
    with _exclusive(job.pk) as mine:
        if not mine:
            return job
        job.refresh_from_db()
        if job.status == ExportStatus.DONE:
            return job
        language = job.params.get("language") or settings.LANGUAGE_CODE
        try:
            with translation.override(language):
                _write(job)
        except Exception as exc:
            logger.exception("Export job %s failed", job.pk)
            with translation.override(language):
                message = _("The export failed: %(error)s") % {"error": _error_text(exc)}
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportStatus.FAILED, message=message, finished_at=timezone.now()
            )
        job.refresh_from_db()
    return job


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)[:500]
    return str(exc)[:500] or type(exc).__name__


class _Counted:
    """The rows as the creator may see them, counting those whose fields were withheld."""

    def __init__(self, rows: QuerySet[Item], user: Any) -> None:
        self.rows, self.user, self.read, self.withheld = rows, user, 0, 0

    def __iter__(self) -> Iterator[Item]:
        for record in selectors.withhold(self.rows.iterator(chunk_size=CHUNK_SIZE), user=self.user):
            self.read += 1
            if getattr(record, "withheld", False):
                self.withheld += 1
            yield record


def _write(job: ExportJob) -> None:
    user = job.created_by
    filters, q = job.params.get("filters", {}), job.params.get("q", "")
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), processed_rows=0, message=""
    )
    rows = selectors.catalogue_rows(Item, user=user, filters=filters, q=q)
    fonds = export_fonds(user=user, filters=filters)
    if job.format == "pdf" and fonds is None:
        raise ValidationError(_("The fonds of this catalogue is no longer in your reach."))

    def progress(written: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(processed_rows=written)

    counted = _Counted(rows, user)
    day = timezone.localtime(job.created_at).date()
    with tempfile.TemporaryDirectory(prefix=f"export-{job.pk}-") as scratch:
        directory = Path(scratch)
        if job.format == "pdf":
            total, widest = _measure_codes(rows)
            ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
            heading = _heading(filters)
            stem = file_stem(fonds=fonds, filters=filters, day=day, user=user)
            books = write_catalogue(
                counted,
                directory=directory,
                fonds=fonds,
                heading=heading,
                total=total,
                widest_code=widest,
                book_name=lambda book: f"{stem}-第{book:03d}册.pdf",
                progress=progress,
            )
            written = counted.read
            if len(books) == 1:
                path, name = books[0], f"{stem}.pdf"
            else:
                path, name = directory / f"{stem}.zip", f"{stem}.zip"
                with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for book in books:
                        archive.write(book, arcname=book.name)
                        book.unlink()
        else:
            total = rows.count()
            ExportJob.objects.filter(pk=job.pk).update(total_rows=total)
            name = f"{file_stem(fonds=fonds, filters=filters, day=day, user=user)}.{job.format}"
            path = directory / name
            writer = write_xlsx if job.format == "xlsx" else write_csv
            written = writer(counted, path, progress=progress)
        stored = _store(job, path, name)
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            file=stored,
            file_name=name,
            total_rows=written,
            processed_rows=written,
            finished_at=timezone.now(),
            message="",
        )
        audit_record(
            action="holdings.export",
            actor=user,
            obj=job,
            data={
                "format": job.format,
                "filters": filters,
                "q": q,
                "rows": written,
                "withheld": counted.withheld,
                "file": name,
            },
        )


def _measure_codes(rows: QuerySet[Item]) -> tuple[int, float]:
    """How many rows and how wide the widest 档号 prints: one pass over the codes alone.

    Codes of one template differ mostly in their digits, so each code is measured with every
    digit replaced by the font's widest one — never narrower than the code itself — and each
    such shape is measured once (measuring 200k codes one by one costs seconds)."""
    widest_digit = max("0123456789", key=code_width)
    digits = str.maketrans("0123456789", widest_digit * 10)
    total, widest = 0, 0.0
    shapes: set[str] = set()
    for code in rows.values_list("reference_code", flat=True).iterator(chunk_size=10 * CHUNK_SIZE):
        total += 1
        shape = (code or "").translate(digits)
        if shape and shape not in shapes:
            shapes.add(shape)
            widest = max(widest, code_width(shape))
    return total, widest


def export_fonds(*, user: Any, filters: dict[str, str]) -> Fonds | None:
    """The fonds an export is filtered on, if ``user`` sees it."""
    if not filters.get("fonds"):
        return None
    try:
        pk = int(Decimal(filters["fonds"]))
    except (ArithmeticError, TypeError, ValueError):
        return None
    return selectors.visible(Fonds, user=user).select_related("custodian_unit").filter(pk=pk).first()


def _heading(filters: dict[str, str], names: RecordNames | None = None) -> dict[str, str]:
    """The catalogue heading's 门类, 年度 and 保管期限 filtered on, by name (``保管期限：永久``)."""
    names = names or RecordNames(Item)
    heading = {"year": filters.get("year", "")}
    if filters.get("category"):
        heading["category"] = names.category(pk=filters["category"])
    if filters.get("retention"):
        heading["retention"] = names.retention(filters["retention"])
    return {key: value for key, value in heading.items() if value}


def file_stem(*, fonds: Fonds | None, filters: dict[str, str], day: dt.date, user: Any = None) -> str:
    """A file name that says what the export is, e.g. ``青溪区档案馆-J002-归档文件目录-2026-12-01``:
    the installation (``settings.SITE_NAME``), the fonds number — or, for an export of several
    fonds, the unit filtered on or "all fonds" —, the 门类, 年度 and 保管期限 filtered on (by
    name), the catalogue's name and the day it was asked for."""
    names = RecordNames(Item)
    if fonds is not None:
        scope = fonds.code
    elif filters.get("unit"):
        scope = _filter_value("unit", filters["unit"], user=user, names=names)
    else:
        scope = _("all fonds")
    heading = _heading(filters, names)
    parts = [str(getattr(settings, "SITE_NAME", "") or ""), scope]
    parts += [heading[key] for key in ("category", "year", "retention") if heading.get(key)]
    parts += [CATALOGUE_TITLE, day.isoformat()]
    return _UNSAFE_NAME.sub("_", "-".join(part.strip() for part in parts if part.strip()))[:200]


def content_disposition(name: str, *, attachment: bool = True) -> str:
    """A ``Content-Disposition`` for a download named ``name``: RFC 6266/5987 ``filename*`` in
    UTF-8 for the Chinese name, after an ASCII ``filename`` for clients that read only that
    (``青溪区档案馆-J001-归档文件目录-2026-12-01.pdf`` → ``J001-2026-12-01.pdf``)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem)).strip("-._") or "export"
    ascii_extension = re.sub(r"[^A-Za-z0-9]+", "", extension)
    fallback = f"{ascii_stem}.{ascii_extension}" if ascii_extension else ascii_stem
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _store(job: ExportJob, path: Path, name: str) -> str:
    """Put the file in storage under the job's id (the same name on a rerun: overwritten)."""
    storage = job.file.storage
    target = f"exports/{job.pk}/{name}"
    if storage.exists(target):
        storage.delete(target)
    with path.open("rb") as handle:
        return storage.save(target, File(handle, name=name))
