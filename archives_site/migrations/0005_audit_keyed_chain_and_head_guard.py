"""The audit chain becomes keyed (HMAC) and its head is guarded.

1. An existing chain written with the unkeyed hash is re-hashed with ``AUDIT_HMAC_KEY`` — only if
   it verifies intact as it stands; a chain that is already broken is left as it is, so that
   ``audit_verify`` keeps reporting it instead of the migration vouching for it.
2. The head row always exists from here on (created here; a missing head is tampering).
3. On PostgreSQL, triggers: the head cannot be deleted; an UPDATE may only advance it by exactly
   one to a row that exists with that hash; a second head cannot be inserted; neither audit table
   can be truncated. (The test settings set ``archives.allow_audit_truncate`` on their connections
   because Django flushes test databases with TRUNCATE and reloads them row by row; the guards
   stand aside for such a connection only. A database superuser can still disable
   triggers; the HMAC is what makes that detectable.)
"""

import hashlib
import hmac
import json
from datetime import UTC

from django.conf import settings
from django.db import migrations

GENESIS_HASH = "0" * 64

GUARD = """
CREATE OR REPLACE FUNCTION archives_audit_head_guard() RETURNS trigger AS $$
BEGIN
    -- Test databases only: they are flushed and reloaded between transactional tests.
    IF current_setting('archives.allow_audit_truncate', true) = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be deleted';
    ELSIF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM archives_site_auditchainhead)
           OR EXISTS (SELECT 1 FROM archives_site_auditevent)
           OR NEW.id <> 1 OR NEW.seq <> 0 OR NEW.hash <> repeat('0', 64) THEN
            RAISE EXCEPTION 'the audit chain head is created only once, for an empty chain';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 OR NOT EXISTS (
        SELECT 1 FROM archives_site_auditevent WHERE seq = NEW.seq AND hash = NEW.hash
    ) THEN
        RAISE EXCEPTION 'the audit chain head only advances by one, to a recorded event';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON archives_site_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION archives_audit_head_guard();

CREATE OR REPLACE FUNCTION archives_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('archives.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log cannot be truncated (% refused)', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON archives_site_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION archives_audit_no_truncate();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON archives_site_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION archives_audit_no_truncate();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS audit_head_guard ON archives_site_auditchainhead;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON archives_site_auditchainhead;
DROP TRIGGER IF EXISTS audit_no_truncate ON archives_site_auditevent;
DROP FUNCTION IF EXISTS archives_audit_head_guard();
DROP FUNCTION IF EXISTS archives_audit_no_truncate();
"""


def _payload(event) -> str:
    # Frozen copy of archives_site.audit._payload as of this migration.
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "ip": event.ip,
        "reason": event.reason,
        "data": event.data,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def rekey_and_create_head(apps, schema_editor):
    AuditEvent = apps.get_model("archives_site", "AuditEvent")
    AuditChainHead = apps.get_model("archives_site", "AuditChainHead")
    db = schema_editor.connection.alias
    events = list(AuditEvent.objects.using(db).order_by("seq"))
    head = AuditChainHead.objects.using(db).filter(pk=1).first()
    if not events:
        if head is None:
            AuditChainHead.objects.using(db).create(pk=1, seq=0, hash=GENESIS_HASH)
        return

    prev, intact = GENESIS_HASH, True
    for expected_seq, event in enumerate(events, start=1):
        legacy = hashlib.sha256((prev + _payload(event)).encode()).hexdigest()
        if event.seq != expected_seq or event.prev_hash != prev or event.hash != legacy:
            intact = False
            break
        prev = event.hash
    if not intact or head is None or (head.seq, head.hash) != (events[-1].seq, events[-1].hash):
        return  # already broken: leave it for audit_verify to report

    key = settings.AUDIT_HMAC_KEY.encode()
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE archives_site_auditevent DISABLE TRIGGER audit_append_only")
    prev = GENESIS_HASH
    for event in events:
        event.prev_hash = prev
        event.hash = hmac.new(key, (prev + _payload(event)).encode(), hashlib.sha256).hexdigest()
        AuditEvent.objects.using(db).filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
        prev = event.hash
    AuditChainHead.objects.using(db).filter(pk=1).update(hash=prev)
    if postgres:
        schema_editor.execute("ALTER TABLE archives_site_auditevent ENABLE TRIGGER audit_append_only")


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("archives_site", "0004_deferred_index")]
    operations = [
        migrations.RunPython(rekey_and_create_head, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
