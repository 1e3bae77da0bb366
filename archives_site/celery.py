"""Celery application. Workers: ``celery -A archives_site worker -Q default,ingest,fixity,reports``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")

app = Celery("archives_site")
# All CELERY_* settings (JSON serialisation, time limits, eager mode without a broker).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
