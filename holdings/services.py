"""Writes to the holdings: fonds, volumes, items, numbering. Checked, atomic, audited where sensitive."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.scoping import Action, user_scope
from archives_site.search import build_search_text
from villages.roles import HOLDINGS

from . import codes
from .models import CatalogueRecord, Fonds, Item, NumberCounter, RecordStatus, Volume

FONDS_FIELDS = ("code", "name", "creating_unit", "custodian_unit", "history", "start_year", "end_year")
RECORD_FIELDS = (
    "fonds",
    "category",
    "year",
    "retention",
    "org_code",
    "original_code",
    "title",
    "responsible",
    "classification",
    "classification_term",
    "page_count",
    "note",
    "open_status",
    "disclosure",
    "carrier",
    "generation",
    "storeroom",
    "cabinet",
    "shelf",
    "layer",
    "box",
)
ITEM_FIELDS = (*RECORD_FIELDS, "volume", "doc_number", "date", "date_researched")
VOLUME_FIELDS = (*RECORD_FIELDS, "start_date", "end_date")
# Changing these on a filed record changes its numbering class: that is a renumbering.
CLASS_FIELDS = ("fonds", "category", "year", "retention", "org_code", "volume")


def _require_write(actor: Any, action: Action, unit_id: int) -> None:
    if actor is None:  # system jobs (imports run by a checked user, seed_demo) pass None
        return
    if not user_scope(actor, HOLDINGS, action).contains(unit_id):
        raise PermissionDenied(_("You can only change records held by units in your reach."))


def search_text_for(record: CatalogueRecord) -> str:
    """The one definition of what is searchable: 题名, 责任者, 文号, 档号, 备注, 原档号."""
    return build_search_text(
        record.title,
        record.responsible,
        getattr(record, "doc_number", ""),
        record.reference_code or "",
        record.note,
        record.original_code,
    )


def next_number(key: str) -> int:
    """The next number of a class, under a row lock held until the caller's transaction ends."""
    NumberCounter.objects.bulk_create([NumberCounter(key=key)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(key=key)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def raise_counter(key: str, at_least: int) -> None:
    """Make a class continue after ``at_least`` (imported records keep their numbers)."""
    NumberCounter.objects.bulk_create([NumberCounter(key=key)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(key=key)
    if counter.last_number < at_least:
        counter.last_number = at_least
        counter.save(update_fields=["last_number"])


# --- fonds ------------------------------------------------------------------------------------


@transaction.atomic
def fonds_create(*, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Fonds:
    """Register a fonds; the custodian unit must be in the actor's reach."""
    fonds = Fonds(**{k: v for k, v in fields.items() if k in FONDS_FIELDS})
    if fonds.custodian_unit_id:
        _require_write(actor, Action.ADD, fonds.custodian_unit_id)
    fonds.full_clean()
    fonds.save()
    audit_record(action="fonds.create", actor=actor, obj=fonds, request=request)
    return fonds


@transaction.atomic
def fonds_update(*, fonds: Fonds, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Fonds:
    """Change a fonds. A new creating or custodian unit is carried to all its volumes and items
    in one UPDATE each (村档乡管, 移交进馆) — the actor must reach both the old and new custodian."""
    _require_write(actor, Action.CHANGE, fonds.custodian_unit_id)
    before = {"creating_unit": fonds.creating_unit_id, "custodian_unit": fonds.custodian_unit_id}
    for name, value in fields.items():
        if name in FONDS_FIELDS:
            setattr(fonds, name, value)
    _require_write(actor, Action.CHANGE, fonds.custodian_unit_id)
    fonds.full_clean()
    fonds.save()
    after = {"creating_unit": fonds.creating_unit_id, "custodian_unit": fonds.custodian_unit_id}
    if after != before:
        units = {"creating_unit_id": fonds.creating_unit_id, "custodian_unit_id": fonds.custodian_unit_id}
        Volume.objects.filter(fonds=fonds).update(**units)
        Item.objects.filter(fonds=fonds).update(**units)
        audit_record(
            action="fonds.custody", actor=actor, obj=fonds, request=request, data={"before": before, "after": after}
        )
    return fonds


# --- items and volumes ----------------------------------------------------------------------


def _assign_number(record: Item | Volume) -> None:
    record.number = next_number(codes.class_key(record))
    record.reference_code = codes.code_for(record)
    record.status = RecordStatus.FILED
    record.filed_at = timezone.now()


def _prepare(record: Item | Volume, actor: Any) -> None:
    if record.fonds_id is None:
        raise ValidationError({"fonds": _("Choose the fonds this record belongs to.")})
    record.creating_unit_id = record.fonds.creating_unit_id
    record.custodian_unit_id = record.fonds.custodian_unit_id
    volume = getattr(record, "volume", None)
    if volume is not None and volume.fonds_id != record.fonds_id:
        raise ValidationError({"volume": _("The volume belongs to another fonds.")})


def _record_create(
    model: type[Item] | type[Volume], allowed: tuple[str, ...], actor: Any, file: bool, fields: dict
) -> Any:
    record = model(**{k: v for k, v in fields.items() if k in allowed}, created_by=actor)
    _prepare(record, actor)
    _require_write(actor, Action.ADD, record.custodian_unit_id)
    record.full_clean(exclude=["search_text", "number", "reference_code", "creating_unit", "custodian_unit"])
    if file:
        _assign_number(record)
    record.search_text = search_text_for(record)
    record.save()
    return record


@transaction.atomic
def item_create(*, actor: Any, file: bool = True, request: HttpRequest | None = None, **fields: Any) -> Item:
    """Catalogue an item. Filed at once (numbered, coded) unless ``file=False`` keeps a draft."""
    return _record_create(Item, ITEM_FIELDS, actor, file, fields)


@transaction.atomic
def volume_create(*, actor: Any, file: bool = True, request: HttpRequest | None = None, **fields: Any) -> Volume:
    """Catalogue a volume (案卷), numbered within its class like items."""
    return _record_create(Volume, VOLUME_FIELDS, actor, file, fields)


@transaction.atomic
def record_update(
    *, record: Item | Volume, actor: Any, request: HttpRequest | None = None, **fields: Any
) -> Item | Volume:
    """Edit a record's description. On a filed record the numbering class is frozen: changing
    year, retention, category, organisation or fonds is :func:`item_renumber`'s job."""
    _require_write(actor, Action.CHANGE, record.custodian_unit_id)
    allowed = ITEM_FIELDS if isinstance(record, Item) else VOLUME_FIELDS
    for name, value in fields.items():
        if name not in allowed:
            continue
        current = getattr(record, name)
        if record.number is not None and name in CLASS_FIELDS and current != value:
            raise ValidationError(
                {name: _("This record is filed; changing its class needs a renumbering (an audited action).")}
            )
        setattr(record, name, value)
    record.full_clean(exclude=["search_text", "number", "reference_code", "creating_unit", "custodian_unit"])
    record.search_text = search_text_for(record)
    record.save()
    return record


@transaction.atomic
def item_file(*, item: Item, actor: Any, request: HttpRequest | None = None) -> Item:
    """File a draft: it gets the next number of its class and its reference code."""
    _require_write(actor, Action.CHANGE, item.custodian_unit_id)
    if item.number is not None:
        raise ValidationError(_("This item is already filed as %(code)s.") % {"code": item.reference_code})
    _assign_number(item)
    item.search_text = search_text_for(item)
    item.save()
    return item


@transaction.atomic
def item_renumber(
    *, item: Item, actor: Any, reason: str, request: HttpRequest | None = None, **class_fields: Any
) -> Item:
    """Move a filed item to another class (year, retention, org, category): a new number there.

    The old number stays taken by a withdrawn placeholder that points to the new code, so the
    old class keeps no gap (DA/T 22: 不得漏号、跳号). Audited with the reason.
    """
    _require_write(actor, Action.CHANGE, item.custodian_unit_id)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for renumbering; it is kept in the audit trail.")})
    if item.number is None:
        raise ValidationError(_("A draft has no number yet; edit it instead."))
    old_code, old_number = item.reference_code, item.number
    placeholder = Item(
        **{
            name: getattr(item, name)
            for name in ("fonds_id", "category_id", "year", "retention_id", "org_code", "volume_id")
        },
        creating_unit_id=item.creating_unit_id,
        custodian_unit_id=item.custodian_unit_id,
        title=item.title,
        status=RecordStatus.WITHDRAWN,
        created_by=actor,
    )
    for name, value in class_fields.items():
        if name in CLASS_FIELDS:
            setattr(item, name, value)
    item.full_clean(exclude=["search_text", "number", "reference_code", "creating_unit", "custodian_unit"])
    item.number, item.reference_code = None, None
    item.save(update_fields=["number", "reference_code"])
    _assign_number(item)
    item.search_text = search_text_for(item)
    item.save()
    placeholder.number, placeholder.reference_code = old_number, old_code
    placeholder.note = _("Number withdrawn: renumbered as %(code)s.") % {"code": item.reference_code}
    placeholder.search_text = search_text_for(placeholder)
    placeholder.save()
    audit_record(
        action="item.renumber",
        actor=actor,
        obj=item,
        request=request,
        reason=reason,
        data={"from": old_code, "to": item.reference_code},
    )
    return item
