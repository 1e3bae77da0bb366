"""Import every module of the project's apps, as the web and worker processes may at run time.

Run with the python of a venv built from requirements.txt alone (scripts/fresh-venv.sh): an
``ImportError`` here is a runtime dependency missing from requirements.txt. Prints one line per
failing module and exits 1 if any failed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["archives_site", "villages", "holdings", "lookup", "inspections"]
# Third-party modules loaded only by name (settings strings, Celery, gunicorn), never imported
# by the apps' code: import them too, so a missing transitive pin shows up here.
BY_NAME = [
    "kombu.transport.redis",
    "celery.backends.redis",
    "celery.bin.celery",
    "django_celery_beat.schedulers",
    "gunicorn.app.wsgiapp",
    "whitenoise.middleware",
    "whitenoise.storage",
    "django.core.cache.backends.redis",
    "django.db.backends.postgresql.base",
]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")
    import django

    django.setup()
    from django.conf import settings

    names = list(BY_NAME)
    names += list(settings.MIDDLEWARE)
    names += [setting["BACKEND"] for setting in settings.CACHES.values()]
    for app in APPS:
        package = importlib.import_module(app)
        names.append(app)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}.")]

    failed = 0
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            # A dotted path to a class (middleware): import its module instead.
            module, _, attr = name.rpartition(".")
            try:
                getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                failed += 1
                print(f"cannot import {name}:\n{traceback.format_exc()}", file=sys.stderr)
    print(f"imported {len(names) - failed} modules, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
