"""On PostgreSQL the audit rows cannot be updated or deleted by the application's SQL.

(A superuser can still disable triggers; ``audit_verify`` is what detects that.)
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION archives_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON archives_site_auditevent
    FOR EACH ROW EXECUTE FUNCTION archives_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_append_only ON archives_site_auditevent;
DROP FUNCTION IF EXISTS archives_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("archives_site", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
