"""The two GIN indexes of the hybrid Chinese search (archives_site.search), PostgreSQL only."""

from django.db import migrations

TABLES = ("holdings_item", "holdings_volume")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm ON {table} "
            "USING gin (search_text gin_trgm_ops) WITH (fastupdate = off)",
            params=None,
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_grams ON {table} "
            "USING gin (grams12f(search_text)) WITH (fastupdate = off)",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm", params=None)
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_grams", params=None)


class Migration(migrations.Migration):
    dependencies = [("holdings", "0002_reference_data"), ("archives_site", "0003_search_functions")]
    operations = [migrations.RunPython(forwards, backwards)]
