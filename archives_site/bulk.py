"""Bulk loading on PostgreSQL: maintaining GIN indexes row by row costs ~0.8 ms a row, so a load
into an empty or near-empty table (a county's first load) drops the table's non-unique indexes
first. Unique indexes (and the primary key) are never dropped: they are what keeps the data right.
A load into a table that already holds records keeps every index: dropping them would leave
every other user's search without its indexes for as long as the load and the rebuild take.

No bulk operation may block other users' reads for more than a moment. ``DROP INDEX`` needs the
table's ACCESS EXCLUSIVE lock, which queues every reader behind it, so:

* :func:`indexes_dropped_for_load` drops them (and records them in ``bulk_deferred_index``) in
  a short transaction of its own, *before* the load, with ``SET LOCAL lock_timeout``: if the
  lock is not had within :data:`LOCK_TIMEOUT`, nothing is dropped and the load keeps the indexes.
  The load then runs in its own transaction, holding no lock that stops readers.
* :func:`build_deferred` builds them again afterwards with ``CREATE INDEX CONCURRENTLY`` from a
  Celery task: the table stays readable and writable. The recorded definitions survive a crash
  and a failed load alike; the next :func:`build_deferred` (a worker start, the next import)
  finds what is still missing, or left invalid by an interrupted build, and builds it. Queries
  stay correct meanwhile, only slower: the search rechecks every hit exactly and can scan
  without its GIN indexes.
* :func:`indexes_suspended` (drop and rebuild inside the caller's transaction) is for
  maintenance with the table to itself, not for loads while people work; its DDL waits at
  most :data:`LOCK_TIMEOUT` for its lock too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

BULK_MIN_ROWS = 50_000
# "Near-empty": the table holds at most this share of what is coming (1 000 rows before 100 000).
BULK_NEAR_EMPTY_SHARE = 0.01
LOCK_TIMEOUT = "800ms"  # what a bulk DDL statement may keep the table's readers waiting, at most
BUILD_MEMORY = "256MB"  # maintenance_work_mem of the rebuilds (the GIN builds use it to sort)
DEFERRED_TABLE = "bulk_deferred_index"  # archives_site.models.DeferredIndex


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's non-unique indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT x.indisunique",
            [table],
        )
        return cursor.fetchall()


def worth_suspending(table: str, incoming_rows: int) -> bool:
    """Whether a load of ``incoming_rows`` should drop the table's non-unique indexes: only a
    large load into an empty or near-empty table (counted exactly, but never past the limit)."""
    if connection.vendor != "postgresql" or incoming_rows < BULK_MIN_ROWS:
        return False
    limit = int(BULK_NEAR_EMPTY_SHARE * incoming_rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT %s) AS present",  # noqa: S608
            [limit + 1],
        )
        present = cursor.fetchone()[0]
    return present <= limit


@contextmanager
def _lock_timeout(cursor: Any) -> Iterator[None]:
    """``SET LOCAL lock_timeout`` for the block, put back after it (the block may be a savepoint
    of a longer transaction, which must not keep the short timeout)."""
    cursor.execute("SELECT current_setting('lock_timeout')")
    previous = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
    yield  # on an error the transaction (or savepoint) is rolled back, and the setting with it
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


@contextmanager
def indexes_suspended(table: str, *, enabled: bool = True) -> Iterator[None]:
    """Drop the table's non-unique indexes for the block and rebuild them after it."""
    if not enabled:
        yield
        return
    indexes = secondary_indexes(table)
    with connection.cursor() as cursor, _lock_timeout(cursor):
        _drop(indexes)
    yield
    with connection.cursor() as cursor:
        # CREATE INDEX refuses to run while the loaded rows' deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        with _lock_timeout(cursor):
            for _name, definition in indexes:
                cursor.execute(definition)


def indexes_dropped_for_load(table: str) -> list[str]:
    """Drop the table's non-unique indexes and record them for :func:`build_deferred`, in a
    transaction of its own that waits at most :data:`LOCK_TIMEOUT` for the table's lock.

    Call it before the load's transaction, and queue :func:`build_deferred` after the load,
    whether it committed or failed. Returns the names of the dropped indexes: none when the lock
    was not had in time (the table was busy), and the load then keeps them.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor, _lock_timeout(cursor):
            indexes = secondary_indexes(table)
            for name, definition in indexes:
                cursor.execute(
                    "INSERT INTO bulk_deferred_index (index_name, table_name, definition) VALUES (%s, %s, %s) "
                    "ON CONFLICT (index_name) DO NOTHING",
                    [name, table, definition],
                )
            _drop(indexes)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03" and "lock timeout" not in str(exc):
            raise
        logger.info("%s is busy: the load keeps its indexes (%s)", table, exc)
        return []
    return [name for name, _definition in indexes]


def deferred_pending(table: str) -> list[str]:
    """Names of the table's recorded indexes that are not built yet (empty on other databases)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT index_name FROM bulk_deferred_index WHERE table_name = %s ORDER BY 1", [table])
        return [name for (name,) in cursor.fetchall()]


def build_deferred(table: str) -> bool:
    """Build the table's recorded indexes that are missing or invalid, one at a time.

    ``CREATE INDEX CONCURRENTLY`` leaves the table readable and writable, but PostgreSQL runs one
    such build per table at a time (each holds a SHARE UPDATE EXCLUSIVE lock), so the cheap
    btrees go first and the GIN indexes last. Inside a transaction (tests run the task there)
    the plain, transactional CREATE INDEX is used instead. Returns False when another session
    is already building the table's indexes (it will finish them).
    """
    if not deferred_pending(table):
        return True
    concurrently = not connection.in_atomic_block
    key = f"{DEFERRED_TABLE}:{table}"
    with connection.cursor() as cursor:
        # A session lock, or in a transaction one released with it, whatever happens in it.
        lock = "pg_try_advisory_lock" if concurrently else "pg_try_advisory_xact_lock"
        cursor.execute(f"SELECT {lock}(hashtext(%s))", [key])
        if not cursor.fetchone()[0]:
            return False
        if not concurrently:
            # CREATE INDEX refuses to run while loaded rows' deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            cursor.execute(f"SET {'' if concurrently else 'LOCAL '}maintenance_work_mem = '{BUILD_MEMORY}'")
            cursor.execute(
                "SELECT d.index_name, d.definition, x.indisvalid FROM bulk_deferred_index d "
                "LEFT JOIN pg_class c ON c.relname = d.index_name AND c.relnamespace = current_schema()::regnamespace "
                "LEFT JOIN pg_index x ON x.indexrelid = c.oid WHERE d.table_name = %s "
                "ORDER BY position(' USING gin' IN d.definition) > 0, position('gin_trgm_ops' IN d.definition) = 0, 1",
                [table],
            )
            for name, definition, valid in cursor.fetchall():
                quoted = connection.ops.quote_name(name)
                if valid is False:  # an interrupted concurrent build leaves an invalid index behind
                    cursor.execute(f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}IF EXISTS {quoted}")
                if valid is not True:
                    logger.info("Building index %s of %s", name, table)
                    cursor.execute(_create_statement(definition, concurrently=concurrently))
                cursor.execute("DELETE FROM bulk_deferred_index WHERE index_name = %s", [name])
        finally:
            if concurrently:
                cursor.execute("RESET maintenance_work_mem")
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])
    return True


def _create_statement(definition: str, *, concurrently: bool) -> str:
    """pg_indexes' ``CREATE INDEX name ON …`` as a build that skips an index already there."""
    keyword = "CREATE INDEX CONCURRENTLY IF NOT EXISTS " if concurrently else "CREATE INDEX IF NOT EXISTS "
    statement, count = re.subn(r"^CREATE INDEX ", keyword, definition)
    if count != 1:
        raise ValueError(f"not a CREATE INDEX statement: {definition}")
    return statement


def _drop(indexes: list[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
