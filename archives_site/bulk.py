"""Bulk loading on PostgreSQL: maintaining GIN indexes row by row costs ~0.8 ms a row, so a load
that is large next to its table drops the table's non-unique indexes first. Unique indexes (and
the primary key) are never dropped: they are what keeps the data right.

There are two ways to get the dropped indexes back:

* :func:`indexes_suspended` builds them again at the end of the block, inside the caller's
  transaction, so a failure restores them with everything else. Readers of the table wait while
  that transaction holds it, and the load is only as fast as the slowest index build.
* :func:`indexes_deferred` builds them after the caller's transaction commits, with
  ``CREATE INDEX CONCURRENTLY`` from a Celery task (:func:`build_deferred`): the loaded rows are
  visible and the table is readable and writable at once. The definitions of the dropped indexes
  are written to the table ``bulk_deferred_index`` in the caller's transaction, so they are
  recorded exactly when the drop is: if the process dies between the commit and the build, or
  during the build, the next :func:`build_deferred` finds what is still missing (or left
  invalid by an interrupted concurrent build) and builds it. Queries stay correct meanwhile,
  only slower: the search rechecks every hit exactly and can scan without its GIN indexes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction

logger = logging.getLogger(__name__)

BULK_MIN_ROWS = 50_000
BULK_TABLE_SHARE = 0.10
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
    if connection.vendor != "postgresql" or incoming_rows < BULK_MIN_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = %s", [table])
        present = cursor.fetchone()[0]
    return incoming_rows > BULK_TABLE_SHARE * present


@contextmanager
def indexes_suspended(table: str, *, enabled: bool = True) -> Iterator[None]:
    """Drop the table's non-unique indexes for the block and rebuild them after it."""
    if not enabled:
        yield
        return
    indexes = secondary_indexes(table)
    _drop(indexes)
    yield
    with connection.cursor() as cursor:
        # CREATE INDEX refuses to run while the loaded rows' deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        for _name, definition in indexes:
            cursor.execute(definition)


def indexes_deferred(table: str, *, then: Callable[[], None]) -> list[str]:
    """Drop the table's non-unique indexes in the caller's transaction and record them for
    :func:`build_deferred`; ``then`` (which should queue that build) runs once it commits.

    Returns the names of the dropped indexes.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred() needs the caller's transaction")
    indexes = secondary_indexes(table)
    with connection.cursor() as cursor:
        for name, definition in indexes:
            cursor.execute(
                "INSERT INTO bulk_deferred_index (index_name, table_name, definition) VALUES (%s, %s, %s) "
                "ON CONFLICT (index_name) DO NOTHING",
                [name, table, definition],
            )
    _drop(indexes)
    transaction.on_commit(then)
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
