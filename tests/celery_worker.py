"""A real Celery worker for the pipeline tests: a subprocess on Redis, on the test database.

Use the ``celery_worker`` fixture (tests/conftest.py) in a transactional test: tasks the code
under test enqueues go to a queue of its own, consumed by a worker process that shares nothing
with the test but the database and the broker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from archives_site.celery import app

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_worker(python: str = sys.executable) -> Iterator[str]:
    """``python``: the interpreter whose venv runs the worker (tests/test_fresh_install.py passes
    the one built from requirements.txt alone)."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    command = [
        python,
        "-m",
        "celery",
        "-A",
        "archives_site",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--loglevel=INFO",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        deadline = time.monotonic() + 60
        while not any("ready." in line for line in output):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + "".join(output))
            time.sleep(0.2)
        yield queue
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
