"""Importing through the staff pages: upload, read the verdict, import a checked file."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from holdings.models import ImportJob, ImportStatus, Item
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(client, fonds, text: str, capture):
    with capture(execute=True):
        response = client.post(
            reverse("holdings:import-new"),
            {"fonds": fonds.pk, "file": SimpleUploadedFile("目录.csv", text.encode("utf-8"))},
        )
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.latest("pk")


def test_a_file_with_errors_is_refused_with_each_bad_row_shown(
    client, world, village_archivist, django_capture_on_commit_callbacks
):
    client.login(username=village_archivist.username, password=PASSWORD)
    text = "题名,年度,保管期限\n关于村务公开的通知,2015,Y\n,2015,Y\n关于换届选举的报告,二〇一五,永远\n"
    job = _upload(client, world.village_a1_fonds, text, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    html = client.get(reverse("holdings:import-detail", args=[job.pk])).content.decode()
    table = html.split('data-testid="import-errors"', 1)[1]
    assert '<td data-label="行号">3</td>' in table and '<td data-label="行号">4</td>' in table  # spreadsheet rows
    assert "永远" in table
    assert not Item.objects.exists()
    report = client.get(reverse("holdings:import-report", args=[job.pk]))
    assert report.status_code == 200
    assert b"".join(report.streaming_content).decode("utf-8-sig").startswith("行号")


def test_a_checked_file_is_imported_with_one_click(
    client, world, village_archivist, django_capture_on_commit_callbacks
):
    client.login(username=village_archivist.username, password=PASSWORD)
    text = (
        "题名,年度,保管期限,责任者\n关于村务公开的通知,2015,Y,青石村民委员会\n村民代表会议记录,2015,Y,青石村民委员会\n"
    )
    checked = _upload(client, world.village_a1_fonds, text, django_capture_on_commit_callbacks)
    assert checked.status == ImportStatus.CHECKED, checked.message
    assert not Item.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("holdings:import-commit", args=[checked.pk]))
    done = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse("holdings:import-detail", args=[done.pk])
    assert done.status == ImportStatus.DONE, done.message
    assert sorted(Item.objects.values_list("reference_code", flat=True)) == [
        "C101-WS·2015-Y-0001",
        "C101-WS·2015-Y-0002",
    ]


def test_another_village_cannot_see_the_import(
    client, world, village_archivist, other_village_archivist, django_capture_on_commit_callbacks
):
    client.login(username=village_archivist.username, password=PASSWORD)
    job = _upload(
        client, world.village_a1_fonds, "题名,年度,保管期限\n通知,2015,Y\n", django_capture_on_commit_callbacks
    )
    client.login(username=other_village_archivist.username, password=PASSWORD)
    assert client.get(reverse("holdings:import-detail", args=[job.pk])).status_code == 404


def _checked(client, world, village_archivist, capture):
    client.login(username=village_archivist.username, password=PASSWORD)
    text = "题名,年度,保管期限\n关于村务公开的通知,2015,Y\n村民代表会议记录,2015,Y\n"
    checked = _upload(client, world.village_a1_fonds, text, capture)
    assert checked.status == ImportStatus.CHECKED, checked.message
    return checked


def test_committing_a_checked_file_twice_imports_it_once(
    client, world, village_archivist, django_capture_on_commit_callbacks
):
    checked = _checked(client, world, village_archivist, django_capture_on_commit_callbacks)
    url = reverse("holdings:import-commit", args=[checked.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, follow=True)

    done = ImportJob.objects.get(dry_run=False)
    assert first["Location"] == second.redirect_chain[0][0] == reverse("holdings:import-detail", args=[done.pk])
    assert "已经导入" in second.content.decode() or "already been imported" in second.content.decode()
    assert Item.objects.count() == 2
    assert ImportJob.objects.filter(dry_run=False).count() == 1


def test_the_import_keeps_the_uploaded_file_name(client, world, village_archivist, django_capture_on_commit_callbacks):
    _checked(client, world, village_archivist, django_capture_on_commit_callbacks)
    checked = _checked(
        client, world, village_archivist, django_capture_on_commit_callbacks
    )  # stored under another name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("holdings:import-commit", args=[checked.pk]))

    done = ImportJob.objects.get(dry_run=False)
    assert done.original_name == checked.original_name == "目录.csv"
    listing = client.get(reverse("holdings:import-new")).content.decode()
    assert listing.count(">目录.csv</a>") == 3


def test_a_job_no_worker_took_up_says_so_and_can_be_queued_again(
    client, world, village_archivist, other_village_archivist, django_capture_on_commit_callbacks, monkeypatch
):
    from holdings import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.import_run, "apply_async", lambda args, **options: queued.append(args[0]))  # no worker
    client.login(username=village_archivist.username, password=PASSWORD)
    job = _upload(
        client, world.village_a1_fonds, "题名,年度,保管期限\n通知,2015,Y\n", django_capture_on_commit_callbacks
    )
    detail = reverse("holdings:import-detail", args=[job.pk])
    assert 'data-testid="import-stale"' not in client.get(detail).content.decode()  # not yet

    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    page = client.get(detail).content.decode()
    assert 'data-testid="import-stale"' in page and "Celery" in page
    assert 'data-testid="import-requeue"' in page

    client.login(username=other_village_archivist.username, password=PASSWORD)
    assert client.post(reverse("holdings:import-requeue", args=[job.pk])).status_code == 404
    client.login(username=village_archivist.username, password=PASSWORD)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("holdings:import-requeue", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert 'data-testid="import-stale"' not in client.get(detail).content.decode()


def test_a_file_over_the_upload_limit_is_refused_on_the_form(client, world, village_archivist, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.login(username=village_archivist.username, password=PASSWORD)
    body = ("题名,年度,保管期限\n" + "关于村务公开的通知,2015,Y\n" * 40000).encode()
    response = client.post(
        reverse("holdings:import-new"),
        {"fonds": world.village_a1_fonds.pk, "file": SimpleUploadedFile("目录.csv", body)},
    )
    assert response.status_code == 200
    assert "1 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_workbook_that_unpacks_too_large_is_refused(client, world, village_archivist, settings):
    from tests.holdings.test_imports import row, xlsx_file

    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 20_000
    client.login(username=village_archivist.username, password=PASSWORD)
    upload = xlsx_file([row(n, "关于村务公开工作的通知" * 5) for n in range(1, 200)])
    response = client.post(reverse("holdings:import-new"), {"fonds": world.village_a1_fonds.pk, "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "解压后" in page or "unpacks to" in page
    assert not ImportJob.objects.exists()
