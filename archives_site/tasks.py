"""Celery tasks of the site's shared parts: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from . import audit


# Queued on "fixity" by the service (archives_site.audit.VERIFICATION_QUEUE).
@shared_task(acks_late=True)
def audit_verification_run(verification_id: int) -> None:
    """Verify the audit chain for a verification someone started; safe to redeliver."""
    audit.audit_verification_run(verification_id=verification_id)


@shared_task(acks_late=True)  # settings.CELERY_BEAT_SCHEDULE runs it nightly on "fixity"
def audit_verify_nightly() -> None:
    """The nightly verification of the whole audit chain."""
    audit.audit_verification_scheduled(trigger="nightly")
