"""Celery tasks of the site's shared parts: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from . import audit, workdays
from .scoping import SYSTEM


# Queued on "fixity" by the service (archives_site.audit.VERIFICATION_QUEUE).
@shared_task(acks_late=True)
def audit_verification_run(verification_id: int) -> None:
    """Verify the audit chain for a verification someone started; safe to redeliver."""
    audit.audit_verification_run(verification_id=verification_id)


@shared_task(acks_late=True)  # settings.CELERY_BEAT_SCHEDULE runs it nightly on "fixity"
def audit_verify_nightly() -> None:
    """The nightly verification of the whole audit chain."""
    audit.audit_verification_scheduled(trigger="nightly")


@shared_task(name="archives_site.workday_calendar_check", acks_late=True)  # daily (CELERY_BEAT_SCHEDULE)
def workday_calendar_check() -> int | None:
    """From 1 October, warn when next year's working-day calendar is not confirmed."""
    return workdays.calendar_check(actor=SYSTEM)
