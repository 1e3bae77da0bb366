import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from archives_site.audit import audit_record, audit_verify
from archives_site.models import AuditEvent


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
