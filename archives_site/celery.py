"""Celery application. Workers: ``celery -A archives_site worker -Q default,ingest,fixity,reports``."""

import logging
import os
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")

app = Celery("archives_site")
# All CELERY_* settings (JSON serialisation, time limits, eager mode without a broker).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Any, *args: Any, queue: str | None = None) -> None:
    """Queue ``task(*args)`` once the caller's transaction commits — the one way services start
    background work. If the broker cannot be reached the request still succeeds: the job stays
    waiting, its page says so after a while and staff can queue it again (never a 500 with a job
    left behind silently)."""
    from django.db import transaction

    def send() -> None:
        try:
            task.apply_async(args, retry=False, **({"queue": queue} if queue else {}))
        except (OperationalError, ConnectionError, OSError):
            logger.exception("Could not queue %s%r: the broker is not reachable", task.name, args)

    transaction.on_commit(send)
