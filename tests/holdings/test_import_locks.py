"""No import keeps other users' reads of the item table waiting for more than a second: not while
it loads into a catalogue that holds records (its indexes stay), nor on a first load (the indexes
are dropped in a short transaction of its own, before the load, with a lock timeout)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections

from archives_site.search import search_ids
from holdings import imports
from holdings.imports import writing
from holdings.models import ImportStatus, Item
from tests.factories import ItemFactory
from tests.holdings.test_imports import csv_file, row, run_import

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOLD_SECONDS = 3.0  # how long the load's transaction stays open while the reader reads


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _read_while_loading(monkeypatch) -> dict[str, float]:
    """While the load's transaction is open (after its first batch is written), another
    connection counts the items and searches them; the seconds each took."""
    timings: dict[str, float] = {}
    flush = writing._CopyWriter.flush

    def reader() -> None:
        try:
            started = time.monotonic()
            Item.objects.count()
            timings["select"] = time.monotonic() - started
            started = time.monotonic()
            search_ids(Item.objects.all(), "村务公开")
            timings["search"] = time.monotonic() - started
        finally:
            connections.close_all()

    def flush_then_hold(self: Any) -> None:
        flush(self)
        if "started" not in timings:
            timings["started"] = 0
            thread = threading.Thread(target=reader)
            thread.start()
            thread.join(HOLD_SECONDS)  # the load's transaction stays open meanwhile

    monkeypatch.setattr(writing._CopyWriter, "flush", flush_then_hold)
    monkeypatch.setattr(imports, "_CopyWriter", writing._CopyWriter)
    return timings


def test_reads_are_not_blocked_by_a_load_into_a_catalogue_with_records(
    world, village_archivist, django_capture_on_commit_callbacks, monkeypatch
):
    from archives_site import bulk

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)  # this small file counts as large
    for _ in range(5):
        ItemFactory(fonds=world.village_a1_fonds)
    timings = _read_while_loading(monkeypatch)

    job = run_import(
        village_archivist,
        world.village_a1_fonds,
        csv_file([row("") for _ in range(30)]),
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.DONE, job.message
    assert timings["select"] < 1 and timings["search"] < 1, timings
    assert bulk.deferred_pending("holdings_item") == []  # nothing was dropped


def test_reads_are_not_blocked_by_a_first_load(
    world, county_archivist, django_capture_on_commit_callbacks, monkeypatch
):
    from archives_site import bulk

    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)  # an empty table: the indexes are dropped
    before = sorted(bulk.secondary_indexes("holdings_item"))
    timings = _read_while_loading(monkeypatch)
    monkeypatch.setattr(imports, "BATCH_ROWS", 10)

    job = run_import(
        county_archivist,
        world.archive_fonds,
        csv_file([row("") for _ in range(30)]),
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.DONE, job.message
    assert timings["select"] < 1 and timings["search"] < 1, timings
    assert sorted(bulk.secondary_indexes("holdings_item")) == before  # rebuilt after the load
