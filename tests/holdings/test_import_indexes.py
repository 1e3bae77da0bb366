"""A large import (a county's first load) leaves its table's non-unique indexes to a build after
its commit: the job says so, search stays correct meanwhile, and a build a crash left owing is
done by the next import or worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from archives_site import bulk
from archives_site.search import search_ids
from holdings import imports, tasks
from holdings.models import ImportStatus, Item
from tests.factories import PASSWORD
from tests.holdings.test_imports import csv_file, row, run_import

TABLE = "holdings_item"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def large(monkeypatch):
    """Treat the small files of these tests as a county's first load."""
    monkeypatch.setattr(imports, "worth_suspending", lambda table, rows: True)


@pytest.fixture
def worker_dies(monkeypatch):
    """The follow-up build is never run, as when the worker dies right after the commit."""
    queued: list[Any] = []
    monkeypatch.setattr(tasks.build_indexes, "apply_async", lambda args, **options: queued.append(tuple(args)))
    return queued


def names(table: str = TABLE) -> list[str]:
    return sorted(name for name, _definition in bulk.secondary_indexes(table))


def test_a_large_load_commits_first_and_says_the_indexes_are_being_built(
    large, worker_dies, village_archivist, world, django_capture_on_commit_callbacks, client
):
    before = names()
    upload = csv_file([row(i, f"关于堃山村第{i}次村民代表会议的纪要") for i in range(1, 11)] + [row("", "无件号")])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.message
    assert job.imported_count == 11
    assert worker_dies == [(job.pk,)]  # the build was queued after the commit
    assert names() == []  # dropped: the build is owed
    assert bulk.deferred_pending(TABLE) == before
    assert len(search_ids(Item.objects.all(), "堃山村", page_size=50).ids) == 10  # correct without the GIN indexes
    client.login(username=village_archivist.username, password=PASSWORD)
    page = client.get(reverse("holdings:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-indexing"' in page and "every 5s" in page  # the page waits for the build

    imports.build_indexes(job_id=job.pk)

    page = client.get(reverse("holdings:import-detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-indexing"' not in page and "hx-trigger" not in page

    assert names() == before
    assert bulk.deferred_pending(TABLE) == []
    job.refresh_from_db()
    assert job.message.startswith(("11", "已导入 11"))


def test_an_owed_build_is_done_by_the_next_import(
    large, village_archivist, world, django_capture_on_commit_callbacks, monkeypatch
):
    before = names()
    queued: list[Any] = []
    monkeypatch.setattr(tasks.build_indexes, "apply_async", lambda args, **options: queued.append(tuple(args)))
    run_import(village_archivist, world.village_a1_fonds, csv_file([row(1)]), django_capture_on_commit_callbacks)
    assert names() == []
    monkeypatch.undo()  # the worker is back; the next import is small
    monkeypatch.setattr(imports, "worth_suspending", lambda table, rows: False)

    job = run_import(village_archivist, world.village_a1_fonds, csv_file([row(2)]), django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.message
    assert names() == before
    assert bulk.deferred_pending(TABLE) == []


def test_a_worker_start_builds_what_is_owed(
    large, worker_dies, village_archivist, world, django_capture_on_commit_callbacks
):
    before = names()
    run_import(village_archivist, world.village_a1_fonds, csv_file([row(1)]), django_capture_on_commit_callbacks)
    worker_dies.clear()

    tasks._build_owed_indexes()  # what the worker_ready signal runs

    assert worker_dies == [(None,)]
    imports.build_indexes(job_id=None)
    assert names() == before


def test_a_failed_large_load_leaves_the_indexes_and_owes_nothing(
    large, village_archivist, world, django_capture_on_commit_callbacks, monkeypatch
):
    before = names()

    def failing_fill(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_fill", failing_fill)

    job = run_import(
        village_archivist, world.village_a1_fonds, csv_file([row(""), row("")]), django_capture_on_commit_callbacks
    )

    assert job.status == ImportStatus.FAILED
    assert names() == before
    assert bulk.deferred_pending(TABLE) == []
    assert not Item.objects.exists()


def test_the_spool_keeps_values_that_copy_text_must_escape(
    village_archivist, world, django_capture_on_commit_callbacks
):
    title = "关于\t制表符\\反斜杠的通知"
    note = "第一行\n第二行\r\n第三行"
    upload = csv_file([row(1, title, 备注=note), row("", title, 备注=note)])

    job = run_import(village_archivist, world.village_a1_fonds, upload, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.DONE, job.message
    assert set(Item.objects.values_list("title", "note", "number")) == {(title, note, 1), (title, note, 2)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as test_import_worker
def test_after_a_real_commit_the_indexes_are_built_concurrently(
    large, village_archivist, world, django_capture_on_commit_callbacks, monkeypatch
):
    """Outside a test transaction, the build runs after the commit with CREATE INDEX CONCURRENTLY."""
    before = names()
    statements: list[str] = []
    create = bulk._create_statement

    def recorded(definition: str, *, concurrently: bool) -> str:
        statements.append(create(definition, concurrently=concurrently))
        return statements[-1]

    monkeypatch.setattr(bulk, "_create_statement", recorded)

    job = run_import(
        village_archivist, world.village_a1_fonds, csv_file([row(1), row(2)]), django_capture_on_commit_callbacks
    )

    assert job.status == ImportStatus.DONE, job.message
    assert names() == before
    assert bulk.deferred_pending(TABLE) == []
    assert statements and all(s.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS") for s in statements)
    assert statements[-1].endswith(("(grams12f(search_text)) WITH (fastupdate='off')", "fastupdate=off)"))
