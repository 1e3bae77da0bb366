"""Sharing down (推送): the archive pushes a set of open records — a village's land-contract
records, its 涉农民生 files — to a village or township, which then finds them in its own search,
marked as pushed (``Item.scope.granted_rows``), until the push is revoked.

Only filed, open and unclassified items are pushed, and they stay readable there only while they
are: an item closed later disappears from the village without a revocation. The pusher must be
allowed to push from the fonds' custodian (``record_push`` add) and see the target unit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.scoping import SYSTEM, Action, require_reach
from villages.models import TOWNSHIP_KINDS, VILLAGE_KINDS, Unit
from villages.roles import HOLDINGS, RECORD_PUSH, UNIT

from .models import CatalogueRecord, Category, Fonds, Item, PushedItem, RecordPush, RecordStatus
from .selectors import category_subtree_ids

TARGET_KINDS = VILLAGE_KINDS | TOWNSHIP_KINDS


def pushable_items(
    fonds: Fonds,
    *,
    category: Category | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    item_ids: list[int] | None = None,
) -> QuerySet:
    """The items of ``fonds`` a push may carry, narrowed by category (with its subdivisions),
    years and an explicit list: filed, open and unclassified."""
    items = Item.objects.filter(fonds=fonds, status=RecordStatus.FILED).filter(CatalogueRecord.scope.open_rows)
    if category is not None:
        items = items.filter(category_id__in=category_subtree_ids(category.pk))
    if year_from is not None:
        items = items.filter(year__gte=year_from)
    if year_to is not None:
        items = items.filter(year__lte=year_to)
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    return items


def items_to_push(fonds: Fonds, target: Unit, **selection: Any) -> QuerySet:
    """What a push of this selection to ``target`` would carry: the pushable items not shared
    with it already (the preview and the push itself)."""
    already = PushedItem.objects.filter(target_unit=target, active=True).values("item_id")
    return pushable_items(fonds, **selection).exclude(pk__in=already)


def _check_target(actor: Any, fonds: Fonds, target: Unit) -> None:
    if target.kind not in TARGET_KINDS or not target.is_active:
        raise ValidationError({"target_unit": _("Push to an active village, community, township or subdistrict.")})
    if target.pk == fonds.custodian_unit_id:
        raise ValidationError({"target_unit": _("This unit keeps the fonds already.")})
    require_reach(actor, UNIT, Action.VIEW, target.pk, _("You cannot push records to this unit."))


@transaction.atomic
def push_create(
    *,
    actor: Any,
    fonds: Fonds,
    target: Unit,
    title: str,
    note: str = "",
    category: Category | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    item_ids: list[int] | None = None,
    request: HttpRequest | None = None,
) -> RecordPush:
    """Push the selected open items of ``fonds`` to ``target``. Items already pushed there (and
    not revoked) are left out; a push that would carry nothing new is refused, so a second click
    pushes nothing twice."""
    require_reach(
        actor, RECORD_PUSH, Action.ADD, fonds.custodian_unit_id, _("You can push only records your archive keeps.")
    )
    require_reach(actor, HOLDINGS, Action.VIEW, fonds.custodian_unit_id, _("You can push only records you can read."))
    _check_target(actor, fonds, target)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Give the push a title the village will recognise.")})
    if year_from is not None and year_to is not None and year_from > year_to:
        raise ValidationError({"year_to": _("The last year cannot be before the first.")})
    Unit.objects.select_for_update().filter(pk=target.pk).first()  # one push to a unit at a time
    items = items_to_push(fonds, target, category=category, year_from=year_from, year_to=year_to, item_ids=item_ids)
    ids = list(items.order_by("pk").values_list("pk", flat=True)[: settings.PUSH_MAX_ITEMS + 1])
    if not ids:
        raise ValidationError(
            _("No open, filed item of this selection is left to push: they are already pushed there, or none is open.")
        )
    if len(ids) > settings.PUSH_MAX_ITEMS:
        raise ValidationError(
            _("At most %(n)s items in one push: narrow the selection by category or years.")
            % {"n": settings.PUSH_MAX_ITEMS}
        )
    push = RecordPush.objects.create(
        source_unit_id=fonds.custodian_unit_id,
        target_unit=target,
        title=title[:200],
        note=(note or "").strip()[:500],
        item_count=len(ids),
        pushed_by=None if actor is SYSTEM else actor,
    )
    PushedItem.objects.bulk_create(
        (PushedItem(push=push, item_id=item_id, target_unit=target) for item_id in ids), batch_size=2000
    )
    audit_record(
        action="push.create",
        actor=actor,
        obj=push,
        request=request,
        unit=target,
        data={"target_unit_id": target.pk, "fonds": fonds.code, "n": len(ids)},
    )
    return push


@transaction.atomic
def push_revoke(*, actor: Any, push: RecordPush, reason: str, request: HttpRequest | None = None) -> RecordPush:
    """Withdraw a push: its items disappear from the target's search at once; the push stays."""
    require_reach(actor, RECORD_PUSH, Action.CHANGE, push.source_unit_id, _("You cannot revoke this push."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the push is revoked.")})
    push = RecordPush.objects.select_for_update().get(pk=push.pk)
    if push.revoked_at is not None:
        raise ValidationError(_("This push was already revoked."))
    push.revoked_at = timezone.now()
    push.revoked_by = None if actor is SYSTEM else actor
    push.revoke_reason = reason[:200]
    push.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    PushedItem.objects.filter(push=push).update(active=False)
    audit_record(
        action="push.revoke",
        actor=actor,
        obj=push,
        request=request,
        unit=push.target_unit,
        reason=push.revoke_reason,
        data={"target_unit_id": push.target_unit_id, "n": push.item_count},
    )
    return push
