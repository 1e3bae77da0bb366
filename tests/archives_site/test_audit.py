import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from archives_site.audit import audit_record, audit_verify
from archives_site.models import AuditChainHead, AuditEvent


@pytest.fixture
def chain(db):
    """Five events on a fresh chain."""
    return [audit_record(action="test.event", reason=f"event {i}", data={"n": i}) for i in range(1, 6)]


def _tamper(sql: str, params: list) -> None:
    """What an attacker with database superuser rights could do: bypass the append-only trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_intact_chain_verifies(chain):
    assert audit_verify() == []
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]


def test_edited_row_is_named(chain):
    _tamper("UPDATE archives_site_auditevent SET reason = %s WHERE seq = %s", ["nothing happened", 3])
    problems = audit_verify()
    assert [(p.seq, p.kind) for p in problems] == [(3, "edited")]


def test_edited_row_with_recomputed_hash_is_still_named(chain):
    from archives_site.audit import compute_hash

    row = AuditEvent.objects.get(seq=2)
    row.reason = "rewritten"
    new_hash = compute_hash(row)
    _tamper("UPDATE archives_site_auditevent SET reason = %s, hash = %s WHERE seq = %s", ["rewritten", new_hash, 2])
    assert [(p.seq, p.kind) for p in audit_verify()] == [(2, "edited")]


def test_deleted_row_is_named(chain):
    _tamper("DELETE FROM archives_site_auditevent WHERE seq = %s", [4])
    problems = audit_verify()
    assert [(p.seq, p.kind) for p in problems] == [(4, "deleted")]
    assert "4" in problems[0].message


def test_deleting_the_last_rows_is_detected_by_the_head(chain):
    _tamper("DELETE FROM archives_site_auditevent WHERE seq >= %s", [4])
    problems = audit_verify()
    assert [(p.seq, p.kind) for p in problems] == [(4, "deleted")]
    assert "4–5" in problems[0].message


def test_application_cannot_update_or_delete_audit_rows(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(reason="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    assert audit_verify() == []


def test_rolled_back_event_leaves_no_gap(db):
    audit_record(action="test.kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError("the surrounding work failed")
    audit_record(action="test.kept")
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.kept"),
        (2, "test.kept"),
    ]
    assert audit_verify() == []


def test_audit_verify_command_reports_tampering(chain, capsys):
    call_command("audit_verify")
    assert "5 rows verified" in capsys.readouterr().out
    _tamper("UPDATE archives_site_auditevent SET actor_name = %s WHERE seq = %s", ["someone else", 1])
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")
    assert "row 1 edited" in capsys.readouterr().err


def test_chain_rehashed_without_the_key_and_a_rewritten_head_is_detected(chain):
    """Whoever can write the tables recomputes every hash (plain sha256) and the head: no match."""
    import hashlib

    from archives_site.audit import _payload

    prev = "0" * 64
    for event in AuditEvent.objects.order_by("seq"):
        if event.seq == 3:
            event.reason = "nothing happened"
        event.prev_hash = prev
        event.hash = hashlib.sha256((prev + _payload(event)).encode()).hexdigest()
        _tamper(
            "UPDATE archives_site_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.reason, event.prev_hash, event.hash, event.seq],
        )
        prev = event.hash
    _tamper("UPDATE archives_site_auditchainhead SET hash = %s WHERE id = 1", [prev])
    assert {(p.seq, p.kind) for p in audit_verify()} >= {(s, "edited") for s in range(1, 6)}


def test_chain_head_exists_before_any_event(db):
    assert AuditChainHead.objects.filter(pk=1, seq=0).exists()
    assert audit_verify() == []


def test_application_cannot_delete_rewind_or_skip_the_head(chain):
    with connection.cursor() as cursor:  # as a production connection: the test run allows resets
        cursor.execute("SET LOCAL archives.allow_audit_truncate = off")
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        AuditChainHead.objects.all().delete()
    for seq in (4, 6, 5):  # back, ahead, and sideways to a hash no row has
        with pytest.raises(DatabaseError, match="only advances by one"), transaction.atomic():
            AuditChainHead.objects.filter(pk=1).update(seq=seq, hash="f" * 64)
    with pytest.raises(DatabaseError, match="created only once"), transaction.atomic():
        AuditChainHead.objects.create(pk=2)
    assert audit_verify() == []


@pytest.mark.parametrize("table", ["archives_site_auditevent", "archives_site_auditchainhead"])
def test_audit_tables_cannot_be_truncated(chain, table):
    with (
        pytest.raises(DatabaseError, match="cannot be truncated"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test run allows TRUNCATE on its connections (Django flushes test databases).
        cursor.execute("SET LOCAL archives.allow_audit_truncate = off")
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert audit_verify() == []


def test_truncated_log_with_its_head_deleted_is_tampering(chain, capsys):
    _tamper("DELETE FROM archives_site_auditevent", [])
    _tamper("DELETE FROM archives_site_auditchainhead", [])
    assert [p.kind for p in audit_verify()] == ["head_missing"]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_verify")
    assert "head is missing" in capsys.readouterr().err


def test_events_are_refused_while_the_head_is_missing(chain):
    from archives_site.audit import AuditChainHeadMissing

    _tamper("DELETE FROM archives_site_auditchainhead", [])
    with pytest.raises(AuditChainHeadMissing):
        audit_record(action="test.after_tampering")
    assert AuditEvent.objects.count() == 5


@pytest.mark.parametrize("run", [1, 2])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_flushed_test_database_starts_a_fresh_chain(run):
    """Django flushes (TRUNCATEs) the database after a transactional test and reloads it; the
    head comes back. (Serialized like every transactional test here: the reference data of the
    migrations must survive the flush for the tests after it.)"""
    audit_record(action="test.event")
    assert audit_verify() == []
    assert AuditChainHead.objects.get(pk=1).seq == 1
