"""Spreadsheet import: rows/s of a 1M-row CSV into an empty catalogue vs PostgreSQL COPY of the
same rows, and the importer's peak memory. Runs in a child process on a fresh database
(``archives_bench_import``) so the first load of a county is what is measured."""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from .report import row

IMPORT_DB = "archives_bench_import"


def run(*, rows: int, database_url: str) -> str:
    url = urlparse(database_url)
    target = urlunparse(url._replace(path=f"/{IMPORT_DB}"))
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "DATABASE_URL": target, "MEDIA_ROOT": scratch, "BENCH_IMPORT_ROWS": str(rows)}
        child = subprocess.run(
            [sys.executable, "-m", "bench.imports"], env=env, capture_output=True, text=True, check=False
        )
    if child.returncode != 0:
        return f"### Import\n\nFailed:\n\n```\n{child.stdout[-2000:]}\n{child.stderr[-3000:]}\n```\n"
    result = json.loads(child.stdout.strip().splitlines()[-1])
    rate = result["rows"] / result["import_s"]
    ratio = result["import_s"] / result["copy_s"]
    verdict = (
        f"≥ 10k rows/s {'met' if rate >= 10_000 else 'MISSED'}; within 3× of COPY {'met' if ratio <= 3 else 'MISSED'}"
    )
    return (
        "### Spreadsheet import (CSV, UTF-8) into an empty catalogue\n\n"
        + row(
            ["rows", "check + import (s)", "rows/s", "COPY same rows (s)", "import/COPY", "peak RSS (MB)", "file (MB)"]
        )
        + "\n|---|---|---|---|---|---|---|\n"
        + row(
            [
                f"{result['rows']:,}",
                f"{result['import_s']:.1f}",
                f"{rate:,.0f}",
                f"{result['copy_s']:.1f}",
                f"{ratio:.1f}×",
                f"{result['peak_rss_mb']:.0f}",
                f"{result['file_mb']:.0f}",
            ]
        )
        + f"\n\nTargets: {verdict}. The import checks every row first (dry run), then COPYs in one transaction; a load larger than a tenth of the table drops and rebuilds the secondary and search indexes inside that transaction. The COPY baseline loads the raw text into an unindexed table, the database's floor.\n"
    )


def _fresh_database() -> None:
    import psycopg2

    url = urlparse(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {IMPORT_DB}")
        cursor.execute(
            f"CREATE DATABASE {IMPORT_DB} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        )
    admin.close()


def _write_csv(path: Path, rows: int, fonds_code: str, template) -> None:
    from holdings import codes, demo
    from holdings.exports import SHEET_COLUMNS

    rng = random.Random(99)
    counters: dict[tuple, int] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_COLUMNS)  # the export's columns: what a bureau re-imports
        for index in range(rows):
            year = 1990 + index * 36 // rows
            retention = ("Y", "D30", "D10")[rng.randrange(3)]
            key = (year, retention)
            counters[key] = counters.get(key, 0) + 1
            number = counters[key]
            title = rng.choice(demo.TITLES).format(
                place="青石村",
                year=year,
                next_year=year + 1,
                topic=rng.choice(demo.TOPICS),
                project=rng.choice(demo.PROJECTS),
                person=rng.choice(demo.PEOPLE),
                n=rng.randint(1, 6),
            )
            code = codes.build_code(
                template, fonds=fonds_code, category="WS", year=year, retention=retention, org="", number=number
            )
            writer.writerow(
                [
                    code,
                    fonds_code,
                    "WS",
                    year,
                    retention,
                    "",
                    number,
                    f"青村委〔{year}〕{number}号",
                    "青石村民委员会",
                    title,
                    f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                    rng.randint(1, 30),
                    "",
                    "未审核",
                    "",
                    "",
                ]
            )


def _child() -> None:
    _fresh_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    from holdings import codes, imports, services
    from holdings.exports import SHEET_COLUMNS
    from holdings.models import Category, ImportJob, Item
    from villages import services as unit_services
    from villages.models import UnitKind

    call_command("migrate", verbosity=0)
    rows = int(os.environ["BENCH_IMPORT_ROWS"])
    county = unit_services.unit_create(actor=None, code="IMP", name="导入区", kind=UnitKind.COUNTY, parent=None)
    village = unit_services.unit_create(actor=None, code="IMP-V", name="青石村", kind=UnitKind.VILLAGE, parent=county)
    fonds = services.fonds_create(
        actor=None, code="C777", name="青石村民委员会", creating_unit=village, custodian_unit=village
    )
    admin = get_user_model().objects.create_superuser("bench_import", "x@example.org", "x-long-password-1")
    path = Path(os.environ["MEDIA_ROOT"]) / "catalogue.csv"
    _write_csv(path, rows, fonds.code, codes.template_for(fonds, Category.objects.get(code="WS").pk))

    with connection.cursor() as cursor:  # baseline: COPY of the same rows into a table of the same columns
        cursor.execute(
            "CREATE TABLE copy_baseline (" + ", ".join(f"c{i} text" for i in range(len(SHEET_COLUMNS))) + ")"
        )
        start = time.perf_counter()
        with path.open(encoding="utf-8") as handle:
            cursor.cursor.copy_expert("COPY copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
        copy_s = time.perf_counter() - start
        cursor.execute("DROP TABLE copy_baseline")

    start = time.perf_counter()
    with path.open("rb") as handle:
        job = imports.import_start(
            actor=admin, fonds=fonds, uploaded_file=File(handle, name="catalogue.csv"), dry_run=False
        )
    import_s = time.perf_counter() - start
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done", (job.status, job.message, job.errors_preview[:3])
    assert Item.objects.count() == rows
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": rows,
                "import_s": import_s,
                "copy_s": copy_s,
                "peak_rss_mb": peak,
                "file_mb": path.stat().st_size / 2**20,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")
    _child()
