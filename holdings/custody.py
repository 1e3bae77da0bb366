"""Who keeps a village's records (村档村管 / 村档乡管 / 托管), changed with a dated, audited record.

The custody mode is the village's (``villages``); what it moves is the holdings': every fonds the
village created and its keeper held goes to the new keeper through :func:`services.fonds_update`,
which carries the custodian to its volumes and items and checks that the actor may write at both
ends (DESIGN §4: writes check the destination). Permissions follow the custodian: under 村档乡管
the township edits the village's records and the village still reads what it created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.scoping import SYSTEM, Action, require_reach
from villages.models import TOWNSHIP_KINDS, VILLAGE_KINDS, CustodyChange, CustodyMode, Unit, UnitKind
from villages.roles import UNIT

from . import services
from .models import Fonds

EARLIEST = dt.date(1949, 10, 1)  # no village custody decision predates the People's Republic

# Units that may keep a village's records on its behalf (托管).
KEEPER_KINDS = frozenset({UnitKind.ARCHIVE, *TOWNSHIP_KINDS, *VILLAGE_KINDS})


def township_of(village: Unit) -> Unit | None:
    """The township or subdistrict above a village (its nearest such ancestor)."""
    ancestors = {u.pk: u for u in Unit.objects.filter(pk__in=village.ancestor_ids)}
    for unit_id in reversed(village.ancestor_ids):
        unit = ancestors.get(unit_id)
        if unit is not None and unit.kind in TOWNSHIP_KINDS:
            return unit
    return None


def keeper_for(village: Unit, mode: str, keeper: Unit | None) -> Unit:
    """The unit that holds the records under ``mode``."""
    if mode == CustodyMode.OWN_ROOM:
        return village
    if mode == CustodyMode.TOWNSHIP:
        township = township_of(village)
        if township is None:
            raise ValidationError({"mode": _("This village has no township above it to keep its records.")})
        return township
    if mode != CustodyMode.ENTRUSTED:
        raise ValidationError({"mode": _("Choose a custody mode from the list.")})
    if keeper is None or keeper.pk == village.pk or keeper.kind not in KEEPER_KINDS or not keeper.is_active:
        raise ValidationError(
            {"keeper": _("Choose the archive, a township or another village that keeps the records.")}
        )
    return keeper


@transaction.atomic
def custody_change(
    *,
    actor: Any,
    village: Unit,
    mode: str,
    effective_date: dt.date,
    reason: str,
    keeper: Unit | None = None,
    request: HttpRequest | None = None,
) -> CustodyChange:
    """Record that ``village``'s records are kept under ``mode`` from ``effective_date`` and move
    its fonds to the new keeper, all or nothing. The actor changes the village (its unit) and
    writes the holdings of the old and the new keeper."""
    require_reach(actor, UNIT, Action.CHANGE, village.pk, _("You cannot change this unit."))
    village = Unit.objects.select_for_update().get(pk=village.pk)  # one change at a time
    if village.kind not in VILLAGE_KINDS:
        raise ValidationError(_("Custody modes belong to villages and communities."))
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Give the reason or the decision behind the change (e.g. its document number).")
    elif len(reason) > (limit := CustodyChange._meta.get_field("reason").max_length):
        errors["reason"] = _("Keep the reason within %(n)s characters.") % {"n": limit}
    current = CustodyChange.objects.filter(unit=village).order_by("-changed_at", "-pk").first()
    if not isinstance(effective_date, dt.date) or not EARLIEST <= effective_date <= timezone.localdate():
        errors["effective_date"] = _("Give the date the change took effect (not a future date).")
    elif current is not None and effective_date < current.effective_date:
        # The history is a sequence: a change dated before the last one would leave it saying
        # one keeper while the records sit with another.
        errors["effective_date"] = _("The last change took effect on %(date)s: a new one cannot be dated earlier.") % {
            "date": current.effective_date.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    new_keeper = keeper_for(village, mode, keeper)
    current_keeper_id = current.keeper_id if current else None
    if village.custody_mode == mode and current_keeper_id in (None, new_keeper.pk):
        raise ValidationError(
            _("The village's records are already kept this way (%(mode)s).") % {"mode": CustodyMode(mode).label}
        )
    moved = []
    for fonds in Fonds.objects.filter(creating_unit=village).exclude(custodian_unit=new_keeper).order_by("code"):
        services.fonds_update(fonds=fonds, actor=actor, request=request, custodian_unit=new_keeper)
        moved.append(fonds.code)
    change = CustodyChange.objects.create(
        unit=village,
        previous_mode=village.custody_mode,
        mode=mode,
        keeper=new_keeper,
        effective_date=effective_date,
        reason=reason,
        changed_by=None if actor is SYSTEM else actor,
    )
    previous = village.custody_mode
    village.custody_mode = mode
    village.save(update_fields=["custody_mode", "updated_at"])
    audit_record(
        action="unit.custody",
        actor=actor,
        obj=village,
        request=request,
        reason=reason,
        data={
            "custody_mode": [previous or None, mode],
            "keeper_unit_id": new_keeper.pk,
            "effective_date": effective_date.isoformat(),
            "fonds": moved,
        },
    )
    return change
