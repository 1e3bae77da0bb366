"""Recording and verifying the audit trail. ``audit_record`` is the one way to write it.

Each row's hash is an HMAC-SHA256 (key ``settings.AUDIT_HMAC_KEY``, kept out of the database) of
the previous row's hash and the row's content, so whoever can write the tables still cannot
produce a chain that verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _lazy

from .models import GENESIS_HASH, AuditChainHead, AuditEvent, AuditVerification, VerificationStatus
from .scoping import SYSTEM, Action


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
    if event.unit_id is not None:
        # Added with the unit column: rows without a unit (all rows written before it existed)
        # hash exactly as before, so the chain that was verified stays verifiable.
        body["unit_id"] = event.unit_id
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
    unit: Any = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (rolled back with it).

    ``action`` is a dotted name such as ``auth.login`` or ``role.grant``; give it a label in
    :mod:`archives_site.audit_names` (a test fails otherwise). ``actor`` defaults to the
    request's user. ``unit`` (a unit or its id) is the unit the event is about, which decides who
    may read it; by default it is derived from ``obj`` (:func:`unit_of`). The chain head is
    locked, so concurrent writers serialise and ``seq`` stays gap-free.
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
            object_repr=_object_repr(obj),
            ip=client_ip(request),
            reason=reason[:500],
            data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
            unit_id=(getattr(unit, "pk", unit) if unit is not None else unit_of(obj)),
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event)
        event.save()
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def _object_repr(obj: models.Model | None) -> str:
    """The object's name as it is kept for good: in the site's language, whichever language the
    actor happens to use (a role's name must not stay English in a Chinese log)."""
    if obj is None:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return str(obj)[:200]


def audit_value(value: Any) -> Any:
    """A field's value as the trail keeps it: JSON's own types as they are (a page then shows
    是/否 and — rather than "False" and "None"), a related object by its name, anything else
    (a date, a choice code) as text, cut at 200 characters."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:200]


def field_changes(current: Any, wanted: dict[str, Any]) -> dict[str, list[Any]]:
    """What an edit changes, field → [before, after], for the values of ``wanted`` that differ
    from ``current`` (a mapping, or an object read by attribute)."""
    read = current.get if isinstance(current, dict) else (lambda name: getattr(current, name))
    return {
        name: [audit_value(read(name)), audit_value(value)] for name, value in wanted.items() if read(name) != value
    }


def unit_of(obj: models.Model | None) -> int | None:
    """The unit an event on ``obj`` is about: a unit itself; a record, fonds or import by its
    custodian (who answers for it when the event happens); anything with a ``unit`` (a role
    assignment) by that; a user account by the narrowest unit covering its roles. None when it
    cannot be told (an account without roles, an export of a list)."""
    if obj is None:
        return None
    if obj._meta.label_lower == "villages.unit":
        return obj.pk
    if obj._meta.label == settings.AUTH_USER_MODEL:
        from villages.selectors import account_home_unit_id

        return account_home_unit_id(user=obj)
    for attribute in ("custodian_unit_id", "unit_id"):
        value = getattr(obj, attribute, None)
        if isinstance(value, int):
            return value
    return None


@dataclass(frozen=True)
class AuditProblem:
    """One thing ``audit_verify`` found. ``message`` is for the command line (English);
    ``code`` and ``params`` let a page say it in the reader's language (:func:`describe_problem`)."""

    seq: int
    kind: str  # "edited", "deleted", "head_missing"
    message: str
    code: str = ""  # "gap", "unlinked", "hash", "head_missing", "head_ahead", "head_mismatch"
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message, "code": self.code, "params": self.params}


PROBLEM_MESSAGES: dict[str, Any] = {
    "gap": _lazy("Record(s) %(span)s deleted (a gap in the sequence)."),
    "unlinked": _lazy("Record %(seq)s edited (record %(next)s no longer links to it)."),
    "hash": _lazy("Record %(seq)s edited (its content does not match its hash)."),
    "head_missing": _lazy(
        "The chain head is missing (deleted, or truncated together with the records it vouched for)."
    ),
    "head_ahead": _lazy("Record(s) %(span)s deleted (the chain head records %(head)s)."),
    "head_mismatch": _lazy("Record %(seq)s edited (it does not match the chain head)."),
}


def describe_problem(problem: dict[str, Any]) -> str:
    """A stored problem (:meth:`AuditProblem.as_dict`) in the reader's language."""
    template = PROBLEM_MESSAGES.get(problem.get("code", ""))
    if template is None:
        return str(problem.get("message", ""))
    try:
        return str(template) % problem.get("params", {})
    except (KeyError, TypeError, ValueError):
        return str(problem.get("message", ""))


def audit_verify() -> list[AuditProblem]:
    """Walk the whole chain and name every edited, deleted or re-linked row."""
    return audit_verify_chain()[0]


def audit_verify_chain() -> tuple[list[AuditProblem], int]:
    """:func:`audit_verify`, also saying how many rows were read."""
    problems: list[AuditProblem] = []
    rows = 0
    expected_seq, expected_prev = 1, GENESIS_HASH
    last_seq, last_hash = 0, GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq > expected_seq:
            first, last = expected_seq, event.seq - 1
            span = f"{first}" if first == last else f"{first}–{last}"
            problems.append(
                AuditProblem(first, "deleted", f"row(s) {span} deleted (sequence gap)", "gap", {"span": span})
            )
        elif event.prev_hash != expected_prev:
            problems.append(
                AuditProblem(
                    event.seq - 1,
                    "edited",
                    f"row {event.seq - 1} edited (row {event.seq} no longer links to it)",
                    "unlinked",
                    {"seq": event.seq - 1, "next": event.seq},
                )
            )
        if compute_hash(event) != event.hash:
            problems.append(
                AuditProblem(
                    event.seq,
                    "edited",
                    f"row {event.seq} edited (content does not match its hash)",
                    "hash",
                    {"seq": event.seq},
                )
            )
        expected_seq, expected_prev = event.seq + 1, event.hash
        last_seq, last_hash = event.seq, event.hash
        rows += 1

    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        problems.append(
            AuditProblem(
                last_seq,
                "head_missing",
                "the chain head is missing (deleted or truncated with the rows it vouched for)",
                "head_missing",
            )
        )
    elif head.seq > last_seq:
        first = last_seq + 1
        span = f"{first}" if first == head.seq else f"{first}–{head.seq}"
        problems.append(
            AuditProblem(
                first,
                "deleted",
                f"row(s) {span} deleted (the chain head records {head.seq})",
                "head_ahead",
                {"span": span, "head": head.seq},
            )
        )
    elif head.seq == last_seq and head.hash != last_hash:
        problems.append(
            AuditProblem(
                last_seq,
                "edited",
                f"row {last_seq} edited (does not match the chain head)",
                "head_mismatch",
                {"seq": last_seq},
            )
        )
    return problems, rows


# --- Who reads the log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditReach:
    """Which events a user may read.

    ``everything``: all of them (the county administrator). Otherwise the events about units in
    ``unit_ids`` — the units the user administers (a township officer: the township and its
    villages) — and, for the archive's staff, the events on holdings: of any unit
    (``holdings_everything``) or of ``holdings_unit_ids``. Nothing else: an event whose unit is
    unknown is the county administrator's alone.
    """

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    holdings_everything: bool = False
    holdings_unit_ids: frozenset[int] = frozenset()
    actor_id: int | None = None  # a reader also reads what they did themselves

    def __bool__(self) -> bool:
        return self.everything or bool(self.unit_ids) or self.holdings_everything or bool(self.holdings_unit_ids)

    def condition(self) -> models.Q:
        """The events within reach, as a filter; an empty reach matches no row (``pk__in=[]``)."""
        from .audit_names import HOLDINGS_OBJECT_TYPES

        if self.everything:
            return models.Q()
        condition = models.Q(pk__in=[])
        if self.actor_id is not None:
            condition |= models.Q(actor_id=self.actor_id)
        if self.unit_ids:
            condition |= models.Q(unit_id__in=sorted(self.unit_ids))
        if self.holdings_everything:
            condition |= models.Q(object_type__in=sorted(HOLDINGS_OBJECT_TYPES))
        elif self.holdings_unit_ids:
            condition |= models.Q(
                object_type__in=sorted(HOLDINGS_OBJECT_TYPES), unit_id__in=sorted(self.holdings_unit_ids)
            )
        return condition


def audit_reach(user: Any) -> AuditReach:
    """The part of the log ``user`` may read, from the role matrix (fails closed).

    The events of the units a user may administer (``unit`` change reach: all of them for the
    county administrator, the township for its officer), plus, for archivists, the events on the
    holdings they may read, and what they did themselves. Village archivists, lookup operators,
    inspectors and external systems read none of it.
    """
    from villages.roles import HOLDINGS, UNIT, Role
    from villages.selectors import user_role_values

    from .scoping import user_scope

    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or user is SYSTEM:
        return AuditReach()
    administered = user_scope(user, UNIT, Action.CHANGE)
    if administered.everything:
        return AuditReach(everything=True)
    holdings_everything, holdings_ids = False, frozenset()
    if Role.ARCHIVIST in user_role_values(user=user):
        holdings = user_scope(user, HOLDINGS, Action.VIEW)
        holdings_everything, holdings_ids = holdings.everything, holdings.unit_ids
    return AuditReach(
        unit_ids=administered.unit_ids,
        holdings_everything=holdings_everything,
        holdings_unit_ids=holdings_ids,
        actor_id=user.pk,
    )


def audit_events(*, user: Any) -> models.QuerySet[AuditEvent]:
    """The events ``user`` may read, newest first (none for a user with no reach)."""
    reach = audit_reach(user)
    if not reach:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(reach.condition()).order_by("-seq")


def can_verify_audit(user: Any) -> bool:
    """Only the county administrator (who reads the whole log) starts a verification."""
    return audit_reach(user).everything


# --- Verifying the chain off the request path ------------------------------------------------------

VERIFICATION_QUEUE = "fixity"  # DESIGN §7: integrity checks run on the fixity queue
VERIFICATION_TRIGGERS = {"nightly": _lazy("the nightly schedule"), "command": _lazy("manage.py audit_verify")}


def audit_verification_pending() -> AuditVerification | None:
    """A verification queued or running and not given up on (a worker that died leaves one
    running: past the task time limit it no longer holds up a new one)."""
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return (
        AuditVerification.objects.filter(
            status__in=[VerificationStatus.QUEUED, VerificationStatus.RUNNING], requested_at__gte=stale
        )
        .order_by("-id")
        .first()
    )


def audit_verification_latest() -> AuditVerification | None:
    """The last verification that finished (intact, problems found, or failed)."""
    return (
        AuditVerification.objects.filter(
            status__in=[VerificationStatus.INTACT, VerificationStatus.BROKEN, VerificationStatus.FAILED]
        )
        .order_by("-finished_at", "-id")
        .first()
    )


@transaction.atomic
def audit_verification_start(*, actor: Any, trigger: str = "") -> tuple[AuditVerification, bool]:
    """Queue a verification of the whole chain (``fixity`` queue); returns it and whether it is
    new. One already queued or running is returned instead of a second (a repeated click)."""
    from django.core.exceptions import PermissionDenied

    from .celery import enqueue_on_commit

    if actor is not SYSTEM and not can_verify_audit(actor):
        raise PermissionDenied
    if transaction.get_connection().vendor == "postgresql":  # two clicks at once: one run
        with transaction.get_connection().cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_VERIFY_LOCK])
    pending = audit_verification_pending()
    if pending is not None:
        return pending, False
    verification = AuditVerification.objects.create(
        requested_by=None if actor is SYSTEM else actor, trigger=trigger if actor is SYSTEM else ""
    )
    from . import tasks

    enqueue_on_commit(tasks.audit_verification_run, verification.pk, queue=VERIFICATION_QUEUE)
    return verification, True


_VERIFY_LOCK = 0x61756476  # "audv": the advisory lock serialising verification starts


def audit_verification_run(*, verification_id: int) -> AuditVerification | None:
    """Verify the chain and store what was found. A finished verification is left alone (a
    redelivered task); one left running by a dead worker is run again."""
    verification = AuditVerification.objects.filter(pk=verification_id).first()
    if verification is None or verification.status not in (VerificationStatus.QUEUED, VerificationStatus.RUNNING):
        return verification
    AuditVerification.objects.filter(pk=verification.pk).update(
        status=VerificationStatus.RUNNING, started_at=timezone.now()
    )
    try:
        problems, rows = audit_verify_chain()
    except Exception:
        AuditVerification.objects.filter(pk=verification.pk).update(
            status=VerificationStatus.FAILED, finished_at=timezone.now()
        )
        raise
    AuditVerification.objects.filter(pk=verification.pk).update(
        status=VerificationStatus.BROKEN if problems else VerificationStatus.INTACT,
        finished_at=timezone.now(),
        rows_checked=rows,
        problems=[problem.as_dict() for problem in problems],
    )
    verification.refresh_from_db()
    return verification


def audit_verification_scheduled(*, trigger: str) -> AuditVerification | None:
    """A verification nobody clicked for (the nightly schedule, the command): recorded as such
    and run at once in the calling process."""
    verification = AuditVerification.objects.create(trigger=trigger)
    return audit_verification_run(verification_id=verification.pk)


def verification_starter(verification: AuditVerification) -> str:
    """Who or what started a verification, for the page."""
    if verification.requested_by_id is not None and verification.requested_by is not None:
        user = verification.requested_by
        name = user.get_full_name()
        return f"{name}（{user.get_username()}）" if name else user.get_username()
    label = VERIFICATION_TRIGGERS.get(verification.trigger)
    return str(label) if label is not None else verification.trigger
