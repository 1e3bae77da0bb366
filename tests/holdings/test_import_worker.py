"""The import pipeline on a real Celery worker (a separate process) over Redis."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from holdings import imports
from holdings.models import ImportJob, ImportStatus, Item

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _wait(job_id: int, until: set[str], seconds: float = 90) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job.status} after {seconds}s")


def test_worker_checks_then_imports_a_spreadsheet(celery_worker, world, county_archivist):
    lines = ["题名,年度,保管期限,机构问题,责任者"] + [
        f"关于第{i}批村级档案移交的函,2016,D30,BGS,青溪区档案馆" for i in range(1, 41)
    ]
    content = ("\n".join(lines) + "\n").encode("gb18030")

    checked = imports.import_start(
        actor=county_archivist,
        fonds=world.archive_fonds,
        uploaded_file=SimpleUploadedFile("移交目录.csv", content),
        dry_run=True,
    )
    checked = _wait(checked.pk, {ImportStatus.CHECKED, ImportStatus.INVALID, ImportStatus.FAILED})
    assert checked.status == ImportStatus.CHECKED, checked.message
    assert (checked.total_rows, checked.encoding) == (40, "gb18030")
    assert not Item.objects.exists()  # a check writes nothing

    done = imports.import_start(
        actor=county_archivist, fonds=world.archive_fonds, uploaded_file=checked.file, dry_run=False
    )
    done = _wait(done.pk, {ImportStatus.DONE, ImportStatus.FAILED})
    assert done.status == ImportStatus.DONE, done.message
    codes = sorted(Item.objects.filter(fonds=world.archive_fonds).values_list("reference_code", flat=True))
    assert codes[0] == "J001-WS·2016-D30-BGS-0001" and codes[-1] == "J001-WS·2016-D30-BGS-0040"
