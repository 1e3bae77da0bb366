"""``python -m bench [--rows 2000000] [--only search,pages,import,exports,completeness] [--rebuild]``.

Runs against its own database (``archives_bench`` next to the one ``DATABASE_URL`` names; the
development and test databases are never touched), generates the county catalogue once and
reuses it while it has the requested size, and writes the results to docs/benchmarks.md.
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
BENCH_DB = os.environ.get("BENCH_DB", "archives_bench")  # another name only to try changes on the side
STEPS = ("search", "pages", "import", "exports", "completeness")


def _use_bench_database() -> str:
    """Point DATABASE_URL at the bench database, creating it (UTF-8, C.UTF-8, never LC_CTYPE=C)."""
    import psycopg2

    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/archives"))
    if url.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://… (make bench does).")
    os.environ["DATABASE_URL"] = urlunparse(url._replace(path=f"/{BENCH_DB}"))
    admin = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = %s", [BENCH_DB])
        found = cursor.fetchone()
        if found is None:
            # UTF-8 LC_CTYPE: pg_trgm and the 1-/2-gram index see Chinese as word characters only then.
            cursor.execute(
                f"CREATE DATABASE {BENCH_DB} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
            print(f"created database {BENCH_DB}", flush=True)
        elif found[0] in ("C", "POSIX"):
            sys.exit(f"Database {BENCH_DB} has LC_CTYPE={found[0]}: Chinese search cannot work there. Drop it.")
    admin.close()
    return os.environ["DATABASE_URL"]


_LOCK_KEY = 0x62656E6368  # "bench": one run at a time on the bench database


def _lock_bench_database(url: str) -> object:
    """Hold a session advisory lock for the whole run, so two runs never load or time together."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        if not cursor.fetchone()[0]:
            print("another bench run holds the bench database; waiting for it …", flush=True)
            cursor.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
    return conn


def _revision() -> str:
    import subprocess

    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--rows", type=int, default=2_000_000, help="items in the catalogue (default 2,000,000)")
    parser.add_argument("--only", default=",".join(STEPS), help=f"comma-separated steps among {', '.join(STEPS)}")
    parser.add_argument("--rebuild", action="store_true", help="generate the data again even if it is there")
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="CSV rows for the import step")
    parser.add_argument("--export-rows", type=int, default=200_000, help="items in the exported fonds (exports step)")
    parser.add_argument("--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    only = {step.strip() for step in args.only.split(",") if step.strip()}
    if unknown := only - set(STEPS):
        parser.error(f"unknown step(s): {', '.join(sorted(unknown))}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ["DEBUG"] = "0"  # no query log, production code paths
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["STATIC_MANIFEST"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # the in-process test client
    os.environ["CONN_MAX_AGE"] = "86400"  # one persistent connection, as a worker process keeps
    os.environ["CACHE_KEY_PREFIX"] = "archives-bench"  # never share cache keys with the test run
    database_url = _use_bench_database()
    lock = _lock_bench_database(database_url)  # noqa: F841 - held until the process exits
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from . import generate, report

    started = time.perf_counter()
    load_before = os.getloadavg()
    call_command("migrate", verbosity=0)
    sections = []
    if only - {"exports"}:  # the exports step brings its own data (bench/exports.py)
        dataset = generate.ensure(args.rows, rebuild_data=args.rebuild)
        sections.append(generate.report(dataset))
    if "search" in only:
        from . import search

        sections.append(search.run(args.rows))
    if "pages" in only:
        from . import pages

        sections.append(pages.run(args.rows))
    if "completeness" in only:
        from . import completeness

        sections.append(completeness.run())
    if "import" in only:
        from . import imports

        sections.append(imports.run(rows=args.import_rows, database_url=database_url))
        sections.append(imports.run_into_catalogue())
    if "exports" in only:
        from . import exports

        sections.append(exports.run(rows=args.export_rows, database_url=database_url))
    load_after = os.getloadavg()
    sections.append(
        f"Whole run: {time.perf_counter() - started:.0f} s (`python -m bench --rows {args.rows} --only "
        f"{','.join(sorted(only))}`), code {_revision()}. Load average (1/5/15 min) before "
        f"{'/'.join(f'{x:.1f}' for x in load_before)}, after {'/'.join(f'{x:.1f}' for x in load_after)}: "
        "other work on the machine shows up in the timings.\n"
    )
    if args.no_report:
        print("\n".join(sections))
    else:
        rows = args.export_rows if only == {"exports"} else args.rows
        report.write(ROOT / "docs" / "benchmarks.md", rows, sections)


if __name__ == "__main__":
    main()
    print(f"bench finished on {platform.node()}")
