"""Writes to the holdings: fonds, volumes, items, numbering. Checked, atomic, audited where sensitive."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record, field_changes
from archives_site.scoping import SYSTEM, Action, require_reach
from archives_site.search import build_search_text
from villages.roles import HOLDINGS

from . import codes
from .dates import check_date_in_year, validate_year
from .models import CatalogueRecord, Category, Fonds, Item, NumberCounter, RecordStatus, RetentionPeriod, Volume

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
ITEM_FIELDS = (*RECORD_FIELDS, "volume", "doc_number", "date", "date_researched", "catalogue_entry")
VOLUME_FIELDS = (*RECORD_FIELDS, "start_date", "end_date")
# Changing these on a filed record changes its numbering class: that is a renumbering.
CLASS_FIELDS = ("fonds", "category", "year", "retention", "org_code", "volume")


def _require_write(actor: Any, action: Action, unit_id: int | None) -> None:
    require_reach(actor, HOLDINGS, action, unit_id, _("You can only change records held by units in your reach."))


def scope_columns(fonds: Fonds) -> dict[str, int]:
    """The unit columns that scope a fonds' volumes and items (DESIGN §4): the one rule
    "units come from the fonds", used for one record (:func:`place`) and for all of a fonds'."""
    return {"creating_unit_id": fonds.creating_unit_id, "custodian_unit_id": fonds.custodian_unit_id}


def place(record: Item | Volume, *, actor: Any, action: Action) -> None:
    """Put a record where its fonds (or, for 卷内文件, its volume) says, and check that ``actor``
    may write there: the units that scope it come from the fonds, a volume's items share its
    fonds and class, and the destination custodian must be in the actor's write reach. Every
    service that sets a record's fonds or volume calls this before saving."""
    volume = getattr(record, "volume", None) if getattr(record, "volume_id", None) else None
    if volume is not None:
        if record.fonds_id is not None and record.fonds_id != volume.fonds_id:
            raise ValidationError({"volume": _("The volume belongs to another fonds.")})
        record.fonds = volume.fonds
        for name in ("category_id", "year", "retention_id", "org_code"):
            if getattr(record, name) in (None, ""):
                setattr(record, name, getattr(volume, name))
            elif getattr(record, name) != getattr(volume, name):
                raise ValidationError(
                    {
                        "volume": _(
                            "An item in a volume (卷内文件) has its volume's category, year, retention and organisation."
                        )
                    }
                )
        if volume.is_read_only:
            raise ValidationError({"volume": _("This volume is withdrawn or destroyed; nothing can be filed into it.")})
        if volume.number is None:
            raise ValidationError({"volume": _("This volume is a draft: file the volume first, then its items.")})
    if record.fonds_id is None:
        raise ValidationError({"fonds": _("Choose the fonds this record belongs to.")})
    for name, value in scope_columns(record.fonds).items():
        setattr(record, name, value)
    _require_write(actor, action, record.custodian_unit_id)


DATED_FIELDS = ("year", "date", "start_date", "end_date")


def _check_bounds(record: Item | Volume, *, confirm_date: bool) -> None:
    """年度 within its bounds, every date's own year too, and the dates inside their 年度 (or
    the mismatch confirmed)."""
    try:
        validate_year(record.year)
    except ValidationError as exc:
        raise ValidationError({"year": exc.messages}) from exc
    date_field = "date" if isinstance(record, Item) else "start_date"
    dates = (record.date,) if isinstance(record, Item) else (record.start_date, record.end_date)
    try:
        for date in filter(None, dates):
            validate_year(int(date[:4]))
        check_date_in_year(record.year, *dates, confirmed=confirm_date)
    except ValidationError as exc:
        raise ValidationError({date_field: exc.messages}) from exc


def _check_catalogue_entry(record: Item | Volume) -> None:
    """An item filed under a catalogue entry (归档清单) is filed under an entry of its own
    creating unit's catalogue: a live entry that applies there, not a heading; in the entry's
    category (or one of its subdivisions) and kept at least as long as the entry says."""
    entry = getattr(record, "catalogue_entry", None) if getattr(record, "catalogue_entry_id", None) else None
    if entry is None:
        return
    if entry.unit_id != record.creating_unit_id:
        raise ValidationError(
            {"catalogue_entry": _("The catalogue entry belongs to another village than the fonds' creating unit.")}
        )
    if entry.is_heading or not entry.is_live or not entry.applicable:
        raise ValidationError(
            {"catalogue_entry": _("Choose an entry that applies and is in use (not a heading, not retired).")}
        )
    category = record.category
    codes_up = {category.code} | set(
        Category.objects.filter(pk__in=_category_ancestor_ids(category)).values_list("code", flat=True)
    )
    if entry.category_code not in codes_up:
        raise ValidationError(
            {
                "category": _("The catalogue entry %(entry)s is filed in category %(code)s.")
                % {"entry": entry.code, "code": entry.category_code}
            }
        )
    wanted = RetentionPeriod.objects.filter(code=entry.retention_code).first()
    if wanted is not None and _retention_years(record.retention) < _retention_years(wanted):
        raise ValidationError(
            {
                "retention": _("The catalogue entry %(entry)s keeps its records for %(period)s: not shorter.")
                % {"entry": entry.code, "period": wanted.name}
            }
        )


def _category_ancestor_ids(category: Category) -> list[int]:
    ids, parent_id = [], category.parent_id
    while parent_id is not None and parent_id not in ids:
        ids.append(parent_id)
        parent_id = Category.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return ids


def _retention_years(period: RetentionPeriod) -> float:
    if period.is_legacy and period.maps_to_id:
        period = period.maps_to
    return float("inf") if period.years is None else period.years


def _refuse_read_only(record: Item | Volume) -> None:
    if record.is_read_only:
        raise ValidationError(
            _("This record is %(status)s: it is kept as it is and cannot be edited or renumbered.")
            % {"status": record.get_status_display()}
        )


def _audit_record(action: str, record: Item | Volume, actor: Any, request: HttpRequest | None, **data: Any) -> None:
    kind = "item" if isinstance(record, Item) else "volume"
    audit_record(action=f"{kind}.{action}", actor=actor, obj=record, request=request, data=data)


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
    """Register a fonds; its custodian and creating units must be in the actor's write reach."""
    fonds = Fonds(**{k: v for k, v in fields.items() if k in FONDS_FIELDS})
    _require_write(actor, Action.ADD, fonds.custodian_unit_id)
    _require_creating_unit(actor, fonds.creating_unit_id, Action.ADD)
    fonds.full_clean()
    fonds.save()
    audit_record(action="fonds.create", actor=actor, obj=fonds, request=request, data={"code": fonds.code})
    return fonds


def _require_creating_unit(actor: Any, unit_id: int | None, action: Action) -> None:
    """The creating unit (立档单位) of a fonds must be in the actor's write reach too: it scopes
    who reads the fonds' records, restricted ones included (DESIGN §4)."""
    require_reach(actor, HOLDINGS, action, unit_id, _("The creating unit must be a unit whose records you keep."))


def fonds_has_filed_records(fonds: Fonds) -> bool:
    """Whether a record of the fonds has a number: the fonds number is then part of its code."""
    return (
        Item.objects.filter(fonds=fonds, number__isnull=False).exists()
        or Volume.objects.filter(fonds=fonds, number__isnull=False).exists()
    )


@transaction.atomic
def fonds_update(*, fonds: Fonds, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Fonds:
    """Change a fonds. A new creating or custodian unit is carried to all its volumes and items
    in one UPDATE each (村档乡管, 移交进馆) — the actor must reach both the old and new custodian,
    and a new creating unit, for writing."""
    _require_write(actor, Action.CHANGE, fonds.custodian_unit_id)
    before = scope_columns(fonds)
    changed = {name: value for name, value in fields.items() if name in FONDS_FIELDS}
    if "code" in changed and changed["code"] != fonds.code and fonds_has_filed_records(fonds):
        raise ValidationError({"code": _("The fonds has filed records: its number is part of their codes and stays.")})
    changes = field_changes(fonds, changed)
    for name, value in changed.items():
        setattr(fonds, name, value)
    _require_write(actor, Action.CHANGE, fonds.custodian_unit_id)
    if fonds.creating_unit_id != before["creating_unit_id"]:
        _require_creating_unit(actor, fonds.creating_unit_id, Action.CHANGE)
        filed_elsewhere = Item.objects.filter(fonds=fonds, catalogue_entry__isnull=False).exclude(
            catalogue_entry__unit_id=fonds.creating_unit_id
        )
        if filed_elsewhere.exists():
            raise ValidationError(
                {
                    "creating_unit": _(
                        "Items of this fonds are filed under the creating unit's catalogue: the creating unit stays."
                    )
                }
            )
    fonds.full_clean()
    fonds.save()
    after = scope_columns(fonds)
    if after != before:
        Volume.objects.filter(fonds=fonds).update(**after)
        Item.objects.filter(fonds=fonds).update(**after)
        audit_record(
            action="fonds.custody", actor=actor, obj=fonds, request=request, data={"before": before, "after": after}
        )
        changes = {name: change for name, change in changes.items() if name not in ("creating_unit", "custodian_unit")}
    if changes:
        audit_record(action="fonds.change", actor=actor, obj=fonds, request=request, data=changes)
    return fonds


# --- items and volumes ----------------------------------------------------------------------


def _assign_number(record: Item | Volume) -> None:
    record.number = next_number(codes.class_key(record))
    record.reference_code = codes.code_for(record)
    if (
        Item.objects.filter(reference_code=record.reference_code).exists()
        or Volume.objects.filter(reference_code=record.reference_code).exists()
    ):
        # Codes are unique across the installation; an imported or legacy code may already hold it.
        raise ValidationError(
            _("The reference code %(code)s is already taken by another record; check the fonds and its classes.")
            % {"code": record.reference_code}
        )
    record.status = RecordStatus.FILED
    record.filed_at = timezone.now()


_NOT_CLEANED = ["search_text", "number", "reference_code", "creating_unit", "custodian_unit"]


def _record_create(
    model: type[Item] | type[Volume],
    allowed: tuple[str, ...],
    actor: Any,
    file: bool,
    fields: dict,
    request: HttpRequest | None,
) -> Any:
    confirm_date = bool(fields.pop("confirm_date", False))
    record = model(**{k: v for k, v in fields.items() if k in allowed}, created_by=_person(actor))
    place(record, actor=actor, action=Action.ADD)
    _check_catalogue_entry(record)
    _check_bounds(record, confirm_date=confirm_date)
    record.full_clean(exclude=_NOT_CLEANED)
    if file:
        _assign_number(record)
    record.search_text = search_text_for(record)
    record.save()
    _audit_record("create", record, actor, request, code=record.reference_code or "")
    return record


def _person(actor: Any) -> Any:
    """The user to store as a record's creator (the system actor is nobody)."""
    return None if actor is SYSTEM else actor


@transaction.atomic
def item_create(*, actor: Any, file: bool = True, request: HttpRequest | None = None, **fields: Any) -> Item:
    """Catalogue an item. Filed at once (numbered, coded) unless ``file=False`` keeps a draft.
    ``confirm_date=True`` accepts a date outside the item's 年度."""
    return _record_create(Item, ITEM_FIELDS, actor, file, fields, request)


@transaction.atomic
def volume_create(*, actor: Any, file: bool = True, request: HttpRequest | None = None, **fields: Any) -> Volume:
    """Catalogue a volume (案卷), numbered within its class like items."""
    return _record_create(Volume, VOLUME_FIELDS, actor, file, fields, request)


@transaction.atomic
def record_update(
    *, record: Item | Volume, actor: Any, request: HttpRequest | None = None, **fields: Any
) -> Item | Volume:
    """Edit a record's description. On a filed record the numbering class is frozen: changing
    year, retention, category, organisation, fonds or volume is :func:`item_renumber`'s job. A
    draft may move to another fonds or volume, which must be in the actor's write reach.
    Withdrawn and destroyed records are read-only."""
    _require_write(actor, Action.CHANGE, record.custodian_unit_id)
    _refuse_read_only(record)
    confirm_date = bool(fields.pop("confirm_date", False))
    allowed = ITEM_FIELDS if isinstance(record, Item) else VOLUME_FIELDS
    fields = {name: value for name, value in fields.items() if name in allowed}
    changes = field_changes(record, fields)
    for name, value in fields.items():
        if record.number is not None and name in CLASS_FIELDS and getattr(record, name) != value:
            raise ValidationError(
                {name: _("This record is filed; changing its class needs a renumbering (an audited action).")}
            )
        setattr(record, name, value)
    moved = {"fonds", "volume"} & set(changes)
    if (
        isinstance(record, Volume)
        and moved
        and Item.objects.filter(volume=record).exclude(status=RecordStatus.DRAFT).exists()
    ):
        raise ValidationError({"fonds": _("This volume holds filed items: it cannot move to another fonds.")})
    if set(CLASS_FIELDS) & set(changes):  # a draft's place, or its class inside its volume
        place(record, actor=actor, action=Action.CHANGE)
    if {"fonds", "volume", "catalogue_entry", "category", "retention"} & set(changes):
        _check_catalogue_entry(record)
    if set(DATED_FIELDS) & set(changes) or confirm_date:  # a confirmed mismatch stays confirmed
        _check_bounds(record, confirm_date=confirm_date)
    record.full_clean(exclude=_NOT_CLEANED)
    record.search_text = search_text_for(record)
    record.save()
    if isinstance(record, Volume) and "fonds" in moved:  # a volume's (draft) items share its fonds
        Item.objects.filter(volume=record).update(fonds=record.fonds, **scope_columns(record.fonds))
    if changes:
        _audit_record("change", record, actor, request, **changes)
    return record


@transaction.atomic
def item_file(*, item: Item, actor: Any, request: HttpRequest | None = None) -> Item:
    """File a draft: it gets the next number of its class and its reference code."""
    _require_write(actor, Action.CHANGE, item.custodian_unit_id)
    _refuse_read_only(item)
    if item.number is not None:
        raise ValidationError(_("This item is already filed as %(code)s.") % {"code": item.reference_code})
    place(item, actor=actor, action=Action.CHANGE)
    _check_catalogue_entry(item)
    _check_bounds(item, confirm_date=True)  # the date was accepted when the draft was saved
    _assign_number(item)
    item.search_text = search_text_for(item)
    item.save()
    _audit_record("file", item, actor, request, code=item.reference_code)
    return item


@transaction.atomic
def item_renumber(
    *, item: Item, actor: Any, reason: str, request: HttpRequest | None = None, **class_fields: Any
) -> Item:
    """Move a filed item to another class (year, retention, org, category, fonds, volume): a new
    number there. The destination is checked like any placement (:func:`place`).

    The old number stays taken by a withdrawn placeholder that points to the new code, so the
    old class keeps no gap (DA/T 22: 不得漏号、跳号). Audited with the reason.
    """
    _require_write(actor, Action.CHANGE, item.custodian_unit_id)
    _refuse_read_only(item)
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError({"reason": _("Give the reason for renumbering; it is kept in the audit trail.")})
    if item.number is None:
        raise ValidationError(_("A draft has no number yet; edit it instead."))
    old_code, old_number = item.reference_code, item.number
    placeholder = Item(
        **{
            name: getattr(item, name)
            for name in ("fonds_id", "category_id", "year", "retention_id", "org_code", "volume_id")
        },
        **scope_columns(item.fonds),
        # The old entry keeps the title, and so the restriction that guards it.
        title=item.title,
        classification=item.classification,
        classification_term=item.classification_term,
        open_status=item.open_status,
        status=RecordStatus.WITHDRAWN,
        created_by=_person(actor),
    )
    before = codes.class_key(item), item.fonds_id
    for name, value in class_fields.items():
        if name in CLASS_FIELDS:
            setattr(item, name, value)
    if "volume" in class_fields and class_fields["volume"] is None:
        item.volume = None
    if (codes.class_key(item), item.fonds_id) == before:  # a repeated submit, or nothing changed
        raise ValidationError(_("The item is already in this class: nothing to renumber."))
    if item.retention.is_legacy:
        raise ValidationError(
            {"retention": _("A legacy retention period is kept for old records only; choose Y, D30 or D10.")}
        )
    place(item, actor=actor, action=Action.CHANGE)
    _check_catalogue_entry(item)
    _check_bounds(item, confirm_date=True)  # renumbering moves the class, not the date
    item.full_clean(exclude=_NOT_CLEANED)
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
