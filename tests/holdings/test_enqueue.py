"""Background work is queued after the commit; a broker that cannot be reached is no 500."""

from django.core.files.uploadedfile import SimpleUploadedFile

from holdings.models import ImportJob, ImportStatus
from tests.factories import PASSWORD


def test_an_unreachable_broker_leaves_the_upload_waiting_not_a_500(
    client, world, county_archivist, monkeypatch, django_capture_on_commit_callbacks
):
    from archives_site.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setattr(app.conf, "broker_connection_timeout", 1)
    monkeypatch.setattr(app, "_pool", None)  # no pooled connection to the real broker
    # Nor a cached producer pool: the one made here (bound to the dead broker) must not outlive
    # the test, or every later task queued in this process goes nowhere.
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    client.login(username=county_archivist.username, password=PASSWORD)
    upload = SimpleUploadedFile("目录.csv", "题名,年度,保管期限\n关于村务公开的通知,2016,D30\n".encode())
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(
            "/holdings/imports/", {"fonds": world.archive_fonds.pk, "file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert len(queued) == 1  # the job was handed to the broker, which refused
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING  # waiting; its page offers to queue it again later
    assert client.get(response["Location"]).status_code == 200
