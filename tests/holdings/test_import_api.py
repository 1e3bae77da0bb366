"""``/api/v1/imports/``: other systems submit catalogues; the same checks, once-only commits."""

from __future__ import annotations

import csv
import io

import pytest

from holdings.models import ImportJob, Item
from tests.permission_suite import ApiPermissionSuite, PermissionCase

IMPORTS = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _job(fonds, user) -> ImportJob:
    return ImportJob.objects.create(
        fonds=fonds,
        custodian_unit_id=fonds.custodian_unit_id,
        original_name="目录.csv",
        file="imports/目录.csv",
        created_by=user,
    )


class TestImportJobPermissions(ApiPermissionSuite):
    """A village archivist sees and submits imports of its own village's fonds only."""

    @pytest.fixture
    def case(self, world, village_archivist, county_archivist, no_role_user):
        return PermissionCase(
            list_url=IMPORTS,
            reader=village_archivist,
            in_scope=_job(world.village_a1_fonds, village_archivist),
            out_of_scope=_job(world.village_b1_fonds, county_archivist),
            extra_hidden=[_job(world.archive_fonds, county_archivist)],
            no_role_user=no_role_user,
            write_out_of_scope=("post", IMPORTS, {"fonds": world.village_b1_fonds.pk, "check_only": True}),
            make_more_in_scope=lambda n: [_job(world.village_a1_fonds, village_archivist) for _ in range(n)],
            max_list_queries=8,
        )


def _csv(rows: list[str]) -> io.BytesIO:
    content = io.BytesIO(("题名,年度,保管期限\n" + "\n".join(rows) + "\n").encode())
    content.name = "移交目录.csv"
    return content


def _upload(client, fonds, content, capture, **options):
    with capture(execute=True):
        return client.post(IMPORTS, {"fonds": fonds.pk, "file": content, **options}, format="multipart")


def test_an_upload_is_checked_then_committed_once(api, world, village_archivist, django_capture_on_commit_callbacks):
    client = api(village_archivist)
    response = _upload(
        client,
        world.village_a1_fonds,
        _csv(["关于村务公开的通知,2015,Y", "村民代表会议记录,2015,Y"]),
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    body = client.get(f"{IMPORTS}{job_id}/").json()
    assert (body["status"], body["total_rows"], body["error_count"], body["check_only"]) == ("checked", 2, 0, True)
    assert body["original_name"] == "移交目录.csv"
    assert not Item.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(f"{IMPORTS}{job_id}/commit/")
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(f"{IMPORTS}{job_id}/commit/")

    assert first.status_code == 202 and first.json()["already_imported"] is False
    assert second.status_code == 200 and second.json()["already_imported"] is True
    assert first.json()["job"]["id"] == second.json()["job"]["id"]
    done = client.get(f"{IMPORTS}{first.json()['job']['id']}/").json()
    assert (done["status"], done["imported_count"], done["original_name"]) == ("done", 2, "移交目录.csv")
    assert Item.objects.count() == 2


def test_an_upload_with_problems_reports_them_and_the_csv_report(
    api, world, village_archivist, django_capture_on_commit_callbacks
):
    client = api(village_archivist)
    response = _upload(
        client,
        world.village_a1_fonds,
        _csv(["关于村务公开的通知,2015,Y", ",2015,永远"]),
        django_capture_on_commit_callbacks,
        check_only=False,
    )
    job = client.get(f"{IMPORTS}{response.json()['id']}/").json()
    assert job["status"] == "invalid"
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "题名"), (3, "保管期限")]
    report = client.get(f"{IMPORTS}{job['id']}/report/")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0][0] == "行号" and len(lines) == 3
    assert not Item.objects.exists()


def test_commit_of_a_job_that_did_not_pass_is_refused(
    api, world, village_archivist, django_capture_on_commit_callbacks
):
    client = api(village_archivist)
    response = _upload(client, world.village_a1_fonds, _csv([",2015,Y"]), django_capture_on_commit_callbacks)
    refused = client.post(f"{IMPORTS}{response.json()['id']}/commit/")
    assert refused.status_code == 400 and refused.json()["detail"]
    assert ImportJob.objects.count() == 1


def test_an_out_of_reach_job_is_404_for_commit_and_report(api, world, village_archivist, county_archivist):
    other = _job(world.village_b1_fonds, county_archivist)
    client = api(village_archivist)
    assert client.post(f"{IMPORTS}{other.pk}/commit/").status_code == 404
    assert client.get(f"{IMPORTS}{other.pk}/report/").status_code == 404


def test_an_upload_over_the_limit_is_refused_in_chinese(api, world, village_archivist, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client = api(village_archivist, language="zh-hans")
    response = client.post(
        IMPORTS,
        {"fonds": world.village_a1_fonds.pk, "file": _csv(["关于村务公开的通知,2015,Y"] * 100)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "上传上限" in response.json()["detail"]
    assert not ImportJob.objects.exists()
