"""Archive rooms: the one place that reads and writes a unit's room, its checklists with their
evidence photos, its staff and their trainings (the climate log is :mod:`inspections.climate`).

Every write checks the actor's reach for ``archive_room`` on the room's unit (DESIGN §4) and is
audited; a room is made the first time anything of it is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.scoping import SYSTEM, Action, require_reach, user_scope
from holdings.pages import check_upload_count, enqueue_derivatives, store_masters
from villages.models import Unit, UnitKind
from villages.roles import ARCHIVE_ROOM

from .models import CHECKLIST_ITEMS, ArchiveRoom, CheckStatus, RoomCheck, RoomEvidence, RoomStaff, Training

# Units that keep an archive room (the county itself keeps none: its archive does).
ROOM_KINDS = frozenset(kind for kind in UnitKind.values if kind != UnitKind.COUNTY)
EARLIEST = dt.date(1949, 10, 1)

ROOM_FIELDS = ("location", "area_m2", "cabinets", "equipment", "note")
STAFF_FIELDS = ("name", "position", "full_time", "since", "left_on")
TRAINING_FIELDS = ("date", "title", "organiser", "hours", "certificate")


def _actor_or_none(actor: Any) -> Any:
    return None if actor is SYSTEM else actor


def _check_date(value: dt.date | None, field: str) -> None:
    if value is None:
        return
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})
    if value < EARLIEST:
        raise ValidationError({field: _("The date cannot be before 1949-10-01.")})


# --- Reading ---------------------------------------------------------------------------------------


def room_units(user: Any) -> QuerySet:
    """The units whose rooms ``user`` may see (with or without a room recorded yet)."""
    scope = user_scope(user, ARCHIVE_ROOM, Action.VIEW)
    units = Unit.objects.filter(kind__in=ROOM_KINDS, is_active=True)
    if not scope.everything:
        units = units.filter(pk__in=sorted(scope.unit_ids))
    return units.select_related("archive_room").order_by("path")


def unit_in_reach(user: Any, unit_id: int) -> Unit | None:
    """The unit if ``user`` may see its room, else None (the caller answers 404)."""
    return room_units(user).filter(pk=unit_id).first()


def may_change(user: Any, unit: Unit) -> bool:
    action = Action.CHANGE if hasattr(unit, "archive_room") else Action.ADD
    return user_scope(user, ARCHIVE_ROOM, action).contains(unit.pk)


@dataclass(frozen=True)
class ChecklistRow:
    key: str
    label: str
    check: RoomCheck | None

    @property
    def met(self) -> bool:
        return self.check is not None and self.check.status == CheckStatus.MET


def checklists(room: ArchiveRoom | None) -> dict[str, list[ChecklistRow]]:
    """Each checklist's items in order with their recorded state (None: never checked)."""
    recorded: dict[tuple[str, str], RoomCheck] = {}
    if room is not None:
        for check in room.checks.prefetch_related("evidence__master"):
            recorded[(check.checklist, check.item)] = check
    return {
        checklist: [ChecklistRow(key, str(label), recorded.get((checklist, key))) for key, label in items]
        for checklist, items in CHECKLIST_ITEMS.items()
    }


# --- Writing ---------------------------------------------------------------------------------------


def _room_for_write(actor: Any, unit: Unit) -> ArchiveRoom:
    """The unit's room, locked, made if it has none; the actor must reach the unit to write."""
    if unit.kind not in ROOM_KINDS:
        raise ValidationError(_("The county keeps no room of its own: record its archive's room."))
    room = ArchiveRoom.objects.select_for_update().filter(unit=unit).first()
    if room is not None:
        require_reach(actor, ARCHIVE_ROOM, Action.CHANGE, unit.pk, _("You cannot change this room."))
        return room
    require_reach(actor, ARCHIVE_ROOM, Action.ADD, unit.pk, _("You cannot record a room for this unit."))
    room, _created = ArchiveRoom.objects.get_or_create(unit=unit)
    return room


@transaction.atomic
def room_update(*, actor: Any, unit: Unit, data: dict[str, Any], request: HttpRequest | None = None) -> ArchiveRoom:
    """Record the room's facilities (area, cabinets, equipment …)."""
    room = _room_for_write(actor, unit)
    before = {name: getattr(room, name) for name in ROOM_FIELDS}
    for name in ROOM_FIELDS:
        if name in data:
            setattr(room, name, data[name])
    room.full_clean(exclude=["unit"])
    room.save()
    changed = {name: str(getattr(room, name)) for name in ROOM_FIELDS if getattr(room, name) != before[name]}
    if changed:
        audit_record(action="room.change", actor=actor, obj=room, request=request, unit=unit, data=changed)
    return room


@transaction.atomic
def check_record(
    *,
    actor: Any,
    unit: Unit,
    checklist: str,
    item: str,
    status: str,
    checked_on: dt.date,
    note: str = "",
    photos: list[Any] | tuple[Any, ...] = (),
    request: HttpRequest | None = None,
) -> RoomCheck:
    """Record the state of one checklist item with its evidence photos, all or none: a photo
    that cannot be kept is refused with its name and nothing is recorded."""
    if item not in dict(CHECKLIST_ITEMS.get(checklist, ())):
        raise ValidationError(_("Choose an item of the 八防 or 七有 checklist."))
    if status not in CheckStatus.values:
        raise ValidationError({"status": _("Choose met, partly met or not met.")})
    _check_date(checked_on, "checked_on")
    photos = list(photos)
    check_upload_count(photos)
    room = _room_for_write(actor, unit)
    check, _created = RoomCheck.objects.update_or_create(
        room=room,
        checklist=checklist,
        item=item,
        defaults={"status": status, "checked_on": checked_on, "note": note[:500], "checked_by": _actor_or_none(actor)},
    )
    masters = store_masters(photos)
    RoomEvidence.objects.bulk_create(
        RoomEvidence(room_check=check, master=master, original_name=name, added_by=_actor_or_none(actor))
        for master, name in masters
    )
    enqueue_derivatives([master for master, _name in masters])
    audit_record(
        action="room.check",
        actor=actor,
        obj=room,
        request=request,
        unit=unit,
        data={
            "checklist": checklist,
            "entry": check.label,
            "status": status,
            "checked_on": checked_on.isoformat(),
            "photos": len(masters),
        },
    )
    return check


@transaction.atomic
def evidence_remove(*, actor: Any, evidence: RoomEvidence, request: HttpRequest | None = None) -> None:
    """Take a photo off a checklist item (the master stays: others may share its bytes)."""
    check = evidence.room_check
    unit = check.room.unit
    require_reach(actor, ARCHIVE_ROOM, Action.CHANGE, unit.pk, _("You cannot change this room."))
    deleted, _rows = RoomEvidence.objects.filter(pk=evidence.pk).delete()
    if not deleted:
        raise ValidationError(_("This photo was already removed."))
    audit_record(
        action="room.evidence_remove",
        actor=actor,
        obj=check.room,
        request=request,
        unit=unit,
        data={"entry": check.label, "file": evidence.original_name},
    )


def _validated_staff(data: dict[str, Any]) -> None:
    _check_date(data.get("since"), "since")
    _check_date(data.get("left_on"), "left_on")
    if data.get("since") and data.get("left_on") and data["left_on"] < data["since"]:
        raise ValidationError({"left_on": _("The date of leaving cannot be before the date of joining.")})


@transaction.atomic
def staff_save(
    *,
    actor: Any,
    unit: Unit,
    data: dict[str, Any],
    staff: RoomStaff | None = None,
    request: HttpRequest | None = None,
) -> RoomStaff:
    """Add a staff member to the unit's room, or change one of its staff."""
    _validated_staff(data)
    room = _room_for_write(actor, unit)
    if staff is not None and staff.room_id != room.pk:
        raise PermissionDenied(_("This person does not work in this room."))
    staff = staff or RoomStaff(room=room)
    for name in STAFF_FIELDS:
        if name in data:
            setattr(staff, name, data[name])
    staff.full_clean(exclude=["room"])
    created = staff.pk is None
    staff.save()
    audit_record(
        action="room.staff_add" if created else "room.staff_change",
        actor=actor,
        obj=room,
        request=request,
        unit=unit,
        data={"full_name": staff.name, "position": staff.position},
    )
    return staff


@transaction.atomic
def training_add(
    *, actor: Any, unit: Unit, staff: RoomStaff, data: dict[str, Any], request: HttpRequest | None = None
) -> Training:
    """Record a training a staff member of the unit's room attended."""
    _check_date(data.get("date"), "date")
    room = _room_for_write(actor, unit)
    if staff.room_id != room.pk:
        raise PermissionDenied(_("This person does not work in this room."))
    training = Training(staff=staff, **{name: data[name] for name in TRAINING_FIELDS if name in data})
    training.full_clean(exclude=["staff"])
    training.save()
    audit_record(
        action="room.training_add",
        actor=actor,
        obj=room,
        request=request,
        unit=unit,
        data={"full_name": staff.name, "entry": training.title, "date": training.date.isoformat()},
    )
    return training
