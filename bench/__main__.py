"""``python -m bench [--rows N] [--only search,pages,import] [--rebuild]``.

Runs against its own database (``archives_bench``), builds the data set once and reuses it, and
appends the results to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "archives_bench"


def _use_bench_database() -> str:
    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/archives"))
    os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"/{BENCH_DB}"))
    import psycopg2

    admin = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cursor.fetchone() is None:
            # UTF-8 LC_CTYPE: pg_trgm treats Chinese as word characters only then (never C).
            cursor.execute(
                f"CREATE DATABASE {BENCH_DB} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
    admin.close()
    return os.environ["DATABASE_URL"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--only", default="search,pages,import")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # the in-process test client
    database_url = _use_bench_database()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from holdings.models import Item

    from . import generate, imports, pages, report, search

    sections: list[str] = []
    have = Item.objects.count()
    if args.rebuild or have != args.rows:
        print(f"generating {args.rows:,} items (have {have:,}) …", flush=True)
        timings = generate.load(args.rows)
        print(f"  done: {timings}", flush=True)
        sections.append(report.generation(timings))
    only = set(args.only.split(","))
    if "search" in only:
        sections.append(search.run())
    if "pages" in only:
        sections.append(pages.run())
    if "import" in only:
        sections.append(imports.run(rows=args.import_rows, database_url=database_url))
    report.write(ROOT / "docs" / "benchmarks.md", args.rows, sections)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"bench finished in {time.perf_counter() - started:.0f} s on {platform.node()}")
