"""Celery tasks of the holdings: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from . import exports, imports, pages


@shared_task(acks_late=True)  # queue: CELERY_TASK_DEFAULT_QUEUE ("default")
def import_run(job_id: int) -> None:
    """Check and (unless a dry run) import a spreadsheet; safe to redeliver (see the service)."""
    imports.import_run(job_id=job_id)


@shared_task(acks_late=True)
def build_indexes(job_id: int | None = None) -> None:
    """Build the item indexes a large import deferred to after its commit; safe to redeliver."""
    imports.build_indexes(job_id=job_id)


@worker_ready.connect
def _build_owed_indexes(**kwargs: object) -> None:
    """A worker that died during an index build owes it: whichever worker starts next queues it."""
    imports.heal_indexes()


# Exports read up to a whole county's catalogue: the hard limit leaves a 200k-item PDF time.
EXPORT_TIME_LIMIT = 2 * 60 * 60


# Queued on "reports" by the service (holdings.exports.EXPORT_QUEUE).
@shared_task(acks_late=True, time_limit=EXPORT_TIME_LIMIT, soft_time_limit=EXPORT_TIME_LIMIT - 300)
def export_run(job_id: int) -> None:
    """Write an export's file (XLSX, CSV, the printed catalogue); safe to redeliver (see the service)."""
    exports.export_run(job_id=job_id)


# Queued on "ingest" by holdings.pages (DERIVATIVE_QUEUE).
@shared_task(acks_late=True)
def page_derivatives(master_ids: list[int]) -> None:
    """Make the thumbnails and reference images of page masters; safe to redeliver."""
    for master_id in master_ids:
        pages.make_derivatives(master_id)


@shared_task(acks_late=True)  # settings.CELERY_BEAT_SCHEDULE runs it hourly on "ingest"
def page_derivatives_sweep() -> None:
    """Queue the derivatives that were owed but never made (see ``pages.derivatives_owed``)."""
    owed = pages.derivatives_owed()
    for start in range(0, len(owed), 50):
        page_derivatives.apply_async(args=[owed[start : start + 50]], queue=pages.DERIVATIVE_QUEUE)
