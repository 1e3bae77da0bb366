"""Exports of a 200k-item fonds (XLSX, CSV, the printed 归档文件目录): time and the worker's peak
memory. Each format runs in a fresh child process — the export job's own code, called as the
Celery worker calls it — so each peak is that export's alone. The data live in a database of
their own (``archives_bench_exports``), generated once and reused while they have the size.

``python -m bench --only exports [--export-rows 200000]``."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from .report import row

EXPORT_DB = "archives_bench_exports"
FORMATS = ("csv", "xlsx", "pdf")
FONDS_CODE = "J002"


def run(*, rows: int, database_url: str) -> str:
    url = urlparse(database_url)
    env = {**os.environ, "DATABASE_URL": urlunparse(url._replace(path=f"/{EXPORT_DB}")), "BENCH_EXPORT_ROWS": str(rows)}
    env.setdefault("AUDIT_HMAC_KEY", "bench-only-audit-key-not-a-secret-0123456789")  # exports are audited
    results, failures = [], []
    with tempfile.TemporaryDirectory() as scratch:
        env["MEDIA_ROOT"] = scratch
        for step in ("setup", *FORMATS):
            child = subprocess.run(
                [sys.executable, "-m", "bench.exports", step], env=env, capture_output=True, text=True, check=False
            )
            if child.returncode != 0:
                failures.append(f"{step}:\n{child.stdout[-1500:]}\n{child.stderr[-3000:]}")
                break
            if step != "setup":
                results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    if failures:
        return "### Exports\n\nFailed:\n\n```\n" + "\n".join(failures) + "\n```\n"
    return report(results)


def report(results: list[dict]) -> str:
    rows = results[0]["rows"]
    return (
        f"### Exports of one {rows:,}-item fonds (Celery job, run in a fresh worker process)\n\n"
        + row(["format", "time (s)", "rows/s", "peak RSS (MB)", "RSS before (MB)", "growth (MB)", "file (MB)"])
        + "\n|---|---|---|---|---|---|---|\n"
        + "\n".join(
            row(
                [
                    result["format"].upper() + (f" ({result['books']} 册, ZIP)" if result.get("books", 1) > 1 else ""),
                    f"{result['seconds']:.1f}",
                    f"{result['rows'] / result['seconds']:,.0f}",
                    f"{result['peak_mb']:.0f}",
                    f"{result['before_mb']:.0f}",
                    f"{result['peak_mb'] - result['before_mb']:.0f}",
                    f"{result['file_mb']:.1f}",
                ]
            )
            for result in results
        )
        + "\n\nPeak RSS is the worker process's high-water mark (VmHWM) over the whole export, RSS before is "
        "after Django, reportlab and openpyxl are loaded. Rows are read from a server-side cursor in chunks "
        "and pass the withholding selector; spreadsheets are written row by row to a temporary file (XLSX in "
        "openpyxl's write-only mode); the PDF is written in 册 of "
        f"{results[0]['items_per_book']:,} entries, one reportlab document each, pages numbered on, zipped. "
        "Before (the PDF built in one platypus document in the web request) a 210k-item fonds took a worker "
        "past 1 GB.\n"
    )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _database_exists() -> bool:
    import psycopg2

    url = urlparse(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        host=url.hostname, port=url.port or 5432, user=url.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [EXPORT_DB])
        found = cursor.fetchone() is not None
        if not found:
            cursor.execute(
                f"CREATE DATABASE {EXPORT_DB} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
    admin.close()
    return found


def _setup() -> None:
    """The county, its archive, one fonds of BENCH_EXPORT_ROWS items (1 % withdrawn, 1 % secret,
    1 % controlled) and the archivist who exports it; reused when it is already there."""
    _database_exists()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from archives_site.scoping import SYSTEM
    from holdings import codes, demo, services
    from holdings.models import Category, Classification, Fonds, Item, OpenStatus, RecordStatus, RetentionPeriod
    from villages import services as unit_services
    from villages.models import Unit, UnitKind
    from villages.roles import Role

    rows = int(os.environ["BENCH_EXPORT_ROWS"])
    fonds = Fonds.objects.filter(code=FONDS_CODE).first()
    if fonds is not None and Item.objects.filter(fonds=fonds).count() == rows:
        return
    Item.objects.all().delete()
    county = Unit.objects.filter(code="EXP").first() or unit_services.unit_create(
        actor=SYSTEM, code="EXP", name="青溪区", kind=UnitKind.COUNTY, parent=None
    )
    archive = Unit.objects.filter(code="EXP-DAG").first() or unit_services.unit_create(
        actor=SYSTEM, code="EXP-DAG", name="青溪区档案馆", kind=UnitKind.ARCHIVE, parent=county
    )
    fonds = fonds or services.fonds_create(
        actor=SYSTEM, code=FONDS_CODE, name="青溪区人民政府办公室", creating_unit=archive, custodian_unit=archive
    )
    user_model = get_user_model()
    user = user_model.objects.filter(username="bench_exporter").first()
    if user is None:
        user = user_model.objects.create_user("bench_exporter")
        unit_services.role_assignment_create(actor=SYSTEM, user=user, role=Role.ARCHIVIST, unit=archive)
    category = Category.objects.get(code="WS")
    template = codes.template_for(fonds, category.pk)
    periods = list(RetentionPeriod.objects.filter(code__in=("Y", "D30", "D10")))
    rng = random.Random(7)
    counters: dict[tuple, int] = {}
    batch: list[Item] = []
    for index in range(rows):
        year = 1990 + index * 31 // rows
        period = periods[rng.randrange(len(periods))]
        org = ("BGS", "ZZK", "CWK")[rng.randrange(3)]
        key = (year, period.pk, org)
        counters[key] = number = counters.get(key, 0) + 1
        roll = rng.random()
        batch.append(
            Item(
                fonds=fonds,
                category=category,
                year=year,
                retention=period,
                org_code=org,
                number=number,
                reference_code=codes.build_code(
                    template, fonds=fonds.code, category="WS", year=year, retention=period.code, org=org, number=number
                ),
                title=rng.choice(demo.TITLES).format(
                    place="青石村",
                    year=year,
                    next_year=year + 1,
                    topic=rng.choice(demo.TOPICS),
                    project=rng.choice(demo.PROJECTS),
                    person=rng.choice(demo.PEOPLE),
                    n=rng.randint(1, 6),
                ),
                responsible="青溪区人民政府办公室",
                doc_number=f"青政办〔{year}〕{number}号",
                date=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                page_count=rng.randint(1, 30),
                status=RecordStatus.WITHDRAWN if roll < 0.01 else RecordStatus.FILED,
                classification=Classification.SECRET if 0.01 <= roll < 0.02 else "",
                open_status=OpenStatus.CONTROLLED if 0.02 <= roll < 0.03 else OpenStatus.UNREVIEWED,
                creating_unit=archive,
                custodian_unit=archive,
            )
        )
        if len(batch) == 5000:
            Item.objects.bulk_create(batch)
            batch = []
    Item.objects.bulk_create(batch)
    with django.db.connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE holdings_item")


def _measure(fmt: str) -> None:
    import django

    django.setup()
    import openpyxl  # noqa: F401 - loaded before the baseline, as a worker has it
    import reportlab.platypus  # noqa: F401
    from django.contrib.auth import get_user_model

    from holdings import exports
    from holdings.exports import catalogue
    from holdings.models import ExportJob, Fonds

    user = get_user_model().objects.get(username="bench_exporter")
    fonds = Fonds.objects.get(code=FONDS_CODE)
    catalogue.cjk_font_name()
    params = exports.export_params(user=user, fmt=fmt, data={"fonds": str(fonds.pk)})
    job = ExportJob.objects.create(created_by=user, format=fmt, params=params)
    before = _status_kb("VmRSS") / 1024
    start = time.perf_counter()
    exports.export_run(job_id=job.pk)
    seconds = time.perf_counter() - start
    job.refresh_from_db()
    assert job.status == "done", job.message
    books = 1
    if job.file_name.endswith(".zip"):
        import zipfile

        with job.file.open("rb") as handle:
            books = len(zipfile.ZipFile(handle).namelist())
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": job.total_rows,
                "seconds": seconds,
                "before_mb": before,
                "peak_mb": _status_kb("VmHWM") / 1024,
                "file_mb": job.file.size / 2**20,
                "books": books,
                "items_per_book": catalogue.ITEMS_PER_BOOK,
            }
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archives_site.settings")
    step = sys.argv[1]
    _setup() if step == "setup" else _measure(step)
