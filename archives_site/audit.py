"""Recording and verifying the audit trail. ``audit_record`` is the one way to write it.

Each row's hash is an HMAC-SHA256 (key ``settings.AUDIT_HMAC_KEY``, kept out of the database) of
the previous row's hash and the row's content, so whoever can write the tables still cannot
produce a chain that verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .models import GENESIS_HASH, AuditChainHead, AuditEvent
from .scoping import SYSTEM


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as the web server saw it (REMOTE_ADDR; set by the proxy in production)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _payload(event: AuditEvent) -> str:
    """The canonical text hashed for a row: every recorded field, in a fixed order."""
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


def compute_hash(event: AuditEvent) -> str:
    """The row's keyed hash, linking it to the previous row."""
    message = (event.prev_hash + _payload(event)).encode()
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


class AuditChainHeadMissing(RuntimeError):
    """The chain head row is gone: the log has been tampered with (see ``audit_verify``)."""


@receiver(post_migrate, dispatch_uid="audit_chain_head")
def ensure_chain_head(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Create the head of an empty chain (migration 0005 does it on install; a database flush in
    the tests empties the table). A head missing beside existing rows is left missing: that is
    tampering, which ``audit_verify`` reports."""
    if getattr(sender, "name", None) != "archives_site":
        return
    if not AuditChainHead.objects.using(using).exists() and not AuditEvent.objects.using(using).exists():
        AuditChainHead.objects.using(using).create(pk=1)


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (rolled back with it).

    ``action`` is a dotted name such as ``auth.login`` or ``role.grant``. ``actor`` defaults to
    the request's user. The chain head is locked, so concurrent writers serialise and ``seq``
    stays gap-free.
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if actor is SYSTEM:
        actor, actor_name = None, actor_name or SYSTEM.get_username()
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            raise AuditChainHeadMissing("the audit chain head is missing; run manage.py audit_verify")
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor,
            actor_name=actor_name or (actor.get_username() if actor is not None else ""),
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            ip=client_ip(request),
            reason=reason[:500],
            data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    kind: str  # "edited", "deleted", "head_missing"
    message: str


def audit_verify() -> list[AuditProblem]:
    """Walk the whole chain and name every edited, deleted or re-linked row."""
    problems: list[AuditProblem] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    last_seq, last_hash = 0, GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq > expected_seq:
            first, last = expected_seq, event.seq - 1
            span = f"{first}" if first == last else f"{first}–{last}"
            problems.append(AuditProblem(first, "deleted", f"row(s) {span} deleted (sequence gap)"))
        elif event.prev_hash != expected_prev:
            problems.append(
                AuditProblem(
                    event.seq - 1,
                    "edited",
                    f"row {event.seq - 1} edited (row {event.seq} no longer links to it)",
                )
            )
        if compute_hash(event) != event.hash:
            problems.append(
                AuditProblem(event.seq, "edited", f"row {event.seq} edited (content does not match its hash)")
            )
        expected_seq, expected_prev = event.seq + 1, event.hash
        last_seq, last_hash = event.seq, event.hash

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        problems.append(
            AuditProblem(
                last_seq,
                "head_missing",
                "the chain head is missing (deleted or truncated with the rows it vouched for)",
            )
        )
    elif head.seq > last_seq:
        first = last_seq + 1
        span = f"{first}" if first == head.seq else f"{first}–{head.seq}"
        problems.append(AuditProblem(first, "deleted", f"row(s) {span} deleted (the chain head records {head.seq})"))
    elif head.seq == last_seq and head.hash != last_hash:
        problems.append(AuditProblem(last_seq, "edited", f"row {last_seq} edited (does not match the chain head)"))
    return problems
