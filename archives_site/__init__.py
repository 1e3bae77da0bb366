"""Project package: settings, URLs, Celery app and the shared bases every app builds on."""

from .celery import app as celery_app

__all__ = ("celery_app",)
