"""A production install from requirements.txt alone: every app module imports and a real Celery
worker started from that venv runs an import job to the end.

The venv is built by scripts/fresh-venv.sh into .venv-fresh/ (once per version of
requirements.txt; `make test` builds it before pytest). A dependency that only the dev
requirements pull in (kombu's redis transport needs ``packaging``) fails here.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from holdings import imports
from holdings.models import ImportJob, ImportStatus, Item

from .celery_worker import running_worker
from .factories import FondsFactory

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.worker]


@pytest.fixture(scope="session")
def fresh_python() -> str:
    """The python of a venv holding requirements.txt and nothing else."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "fresh-venv.sh")], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"building the venv from requirements.txt failed:\n{result.stderr[-4000:]}"
    python = result.stdout.strip().splitlines()[-1]
    # The point of this venv: none of the test tools are in it.
    probe = subprocess.run([python, "-c", "import pytest"], capture_output=True)
    assert probe.returncode != 0, f"{python} has pytest: it is not a requirements.txt-only venv"
    return python


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db
def test_every_app_module_imports_from_requirements_txt_alone(fresh_python):
    result = subprocess.run(
        [fresh_python, str(ROOT / "scripts" / "import_all.py")],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        "a module does not import in a venv built from requirements.txt alone (a ModuleNotFoundError "
        f"of a third-party name means: pin that package in requirements.txt):\n{result.stderr[-4000:]}"
    )


def _wait(job_id: int, until: set[str], seconds: float = 90) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job.status} after {seconds}s: the fresh worker did not finish it")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_from_requirements_txt_alone_runs_an_import_to_the_end(
    fresh_python, settings, tmp_path, network, county_archivist
):
    settings.MEDIA_ROOT = tmp_path / "media"
    fonds = FondsFactory(code="J001", name="青溪区档案馆", creating_unit=network.archive)
    content = ("题名,年度,保管期限,机构问题,责任者\n" + "关于村级档案移交的函,2016,D30,BGS,青溪区档案馆\n" * 3).encode(
        "gb18030"
    )
    with running_worker(python=fresh_python):
        job = imports.import_start(
            actor=county_archivist,
            fonds=fonds,
            uploaded_file=SimpleUploadedFile("移交目录.csv", content),
            dry_run=False,
        )
        job = _wait(job.pk, {ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.INVALID})
    assert job.status == ImportStatus.DONE, job.message
    assert Item.objects.filter(fonds=fonds).count() == 3
