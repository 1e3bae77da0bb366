"""PostgreSQL search support shared by every searchable table (archives_site.search).

``grams12f(text)`` lists the 1- and 2-grams of the runs of word characters as a tsvector, for a
GIN expression index; pg_trgm serves terms with a run of 3 or more word characters. Both need a
database whose LC_CTYPE is UTF-8 (never C), or Chinese characters are not word characters.
"""

from django.db import migrations

CREATE = r"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE OR REPLACE FUNCTION grams12f(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT strip(to_tsvector('simple'::regconfig,
    regexp_replace(t, '(.)', '\1 ', 'g') || ' ' ||
    regexp_replace(t, '(..)', '\1 ', 'g') || ' ' ||
    regexp_replace(substr(t, 2), '(..)', '\1 ', 'g')))
$$;
"""
DROP = "DROP FUNCTION IF EXISTS grams12f(text);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("archives_site", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
