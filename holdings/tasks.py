"""Celery tasks of the holdings: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from . import imports


@shared_task(acks_late=True)  # queue: CELERY_TASK_DEFAULT_QUEUE ("default")
def import_run(job_id: int) -> None:
    """Check and (unless a dry run) import a spreadsheet; safe to redeliver (see the service)."""
    imports.import_run(job_id=job_id)
