"""The audit log page: events know their unit; indexes for its filters; verification results.

1. ``AuditEvent.unit`` (nullable, no row is updated: the log is append-only and the rows written
   before have no unit, which hashes exactly as before — see ``archives_site.audit._payload``).
2. One ``(column, seq)`` index per filter of the page, so each reads newest first from its
   index. On PostgreSQL they are built ``CONCURRENTLY`` (a log of millions of rows is written by
   every login: a plain ``CREATE INDEX`` would hold the logins up while it builds), hence
   ``atomic = False``. The old ``(object_type, object_id)`` and ``action`` indexes are covered by
   the new ones and dropped.
3. ``AuditVerification``: the results of ``audit_verify`` runs.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "archives_site_auditevent"
INDEXES = {
    "audit_object_seq": ("object_type", "object_id", "seq"),
    "audit_action_seq": ("action", "seq"),
    "audit_actor_name_seq": ("actor_name", "seq"),
    "audit_actor_seq": ("actor_id", "seq"),
    "audit_unit_seq": ("unit_id", "seq"),
}


def create_indexes(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON {TABLE} ({', '.join(columns)})")


def drop_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("archives_site", "0006_api_token"),
        ("villages", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="villages.unit",
                verbose_name="unit",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
            state_operations=[
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq"),
                ),
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["action", "seq"], name="audit_action_seq")
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(fields=["actor_name", "seq"], name="audit_actor_name_seq"),
                ),
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["actor", "seq"], name="audit_actor_seq")
                ),
                migrations.AddIndex(
                    model_name="auditevent", index=models.Index(fields=["unit", "seq"], name="audit_unit_seq")
                ),
            ],
        ),
        migrations.RemoveIndex(model_name="auditevent", name="audit_object"),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(max_length=64, verbose_name="action"),
        ),
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("requested_at", models.DateTimeField(auto_now_add=True, verbose_name="requested")),
                ("trigger", models.CharField(blank=True, max_length=32, verbose_name="started by")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("intact", "Intact"),
                            ("broken", "Problems found"),
                            ("failed", "Could not finish"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ("rows_checked", models.BigIntegerField(default=0, verbose_name="rows checked")),
                ("problems", models.JSONField(blank=True, default=list, verbose_name="problems")),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="requested by",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit log verification",
                "verbose_name_plural": "audit log verifications",
                "ordering": ["-id"],
            },
        ),
    ]
