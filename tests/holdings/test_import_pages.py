"""Importing through the staff pages: upload, read the verdict, import a checked file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
    assert "<td>3</td>" in table and "<td>4</td>" in table  # spreadsheet row numbers
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
