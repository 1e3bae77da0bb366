"""Bulk loading on PostgreSQL: maintaining GIN indexes row by row costs ~0.8 ms a row, so a load
that is large next to its table drops the table's non-unique indexes and builds them again at
the end — inside the caller's transaction, so a failure restores them with everything else.
(Readers of the table wait while that transaction holds it; fine for a county's first load.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

BULK_MIN_ROWS = 50_000
BULK_TABLE_SHARE = 0.10


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
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # CREATE INDEX refuses to run while the loaded rows' deferred foreign-key checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
