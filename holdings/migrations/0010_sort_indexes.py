"""The indexes of the list orders (holdings.ordering), PostgreSQL only.

For each sort key of items and volumes — 档号 (natural order, ICU collation ``archives_natural``:
numbers compared as numbers), 年度, 日期 (items' date, volumes' start date), 题名 (its first 100
characters) — a ``(key, id)`` index for the whole table and one per unit field of the scope, so
that a county, a township and a village each read a page in order from an index (the village
and township branch by branch, as ``ScopedQuerySet.scope_partitions`` splits them). The custodian
branch holds only rows kept by another unit than their creator (as the search's scope indexes).
档号 also has a per-fonds index: inside a fonds it is the default order.

The expressions are the ones ``holdings.ordering.SortKey.sql`` writes, character for character
in meaning: a query uses an expression index only if it says the same.
"""

from django.db import migrations

COLLATION = "archives_natural"
KEYS = {
    "code": f"(COALESCE(reference_code, U&'\\FFFF') COLLATE \"{COLLATION}\")",
    "year": "year",
    "title": "left(title, 100)",
}
DATE_COLUMN = {"holdings_item": "date", "holdings_volume": "start_date"}
PREFIX = {"holdings_item": "item", "holdings_volume": "volume"}


def _indexes() -> list[tuple[str, str]]:
    statements = []
    for table, prefix in PREFIX.items():
        keys = {**KEYS, "date": DATE_COLUMN[table]}
        for name, key in keys.items():
            if not (table == "holdings_item" and name == "year"):  # item_year (year, id) exists
                statements.append((f"{prefix}_sort_{name}", f"CREATE INDEX {{name}} ON {table} ({key}, id)"))
            statements.append(
                (f"{prefix}_creating_sort_{name}", f"CREATE INDEX {{name}} ON {table} (creating_unit_id, {key}, id)")
            )
            statements.append(
                (
                    f"{prefix}_custodian_sort_{name}",
                    f"CREATE INDEX {{name}} ON {table} (custodian_unit_id, {key}, id) "
                    "WHERE custodian_unit_id <> creating_unit_id",
                )
            )
        statements.append((f"{prefix}_fonds_sort_code", f"CREATE INDEX {{name}} ON {table} (fonds_id, {KEYS['code']}, id)"))
    return statements


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE COLLATION IF NOT EXISTS {COLLATION} (provider = icu, locale = 'und-u-kn-true')", params=None
    )
    for name, statement in _indexes():
        schema_editor.execute(statement.format(name=name), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _statement in _indexes():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)
    schema_editor.execute(f"DROP COLLATION IF EXISTS {COLLATION}", params=None)


class Migration(migrations.Migration):
    dependencies = [("holdings", "0009_org_code_validator")]
    operations = [migrations.RunPython(forwards, backwards)]
