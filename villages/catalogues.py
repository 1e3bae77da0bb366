"""The county's reference template (基本目录参考模板) and each village's filing catalogue (归档清单):
what to file, how, and for how long (归什么、怎么归、归多久).

The county keeps one draft version at a time and publishes it (frozen from then on). A village
derives its catalogue from a published version; when a newer one is published it sees the
differences (added, changed, removed entries, matched by ``key``) and adopts them entry by entry.
Entries are never deleted once the catalogue exists: a removed one is retired, so an item filed
under it keeps its link. Every write is checked, audited and atomic.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record, field_changes
from archives_site.scoping import SYSTEM, Action, require_reach

from .models import (
    VILLAGE_KINDS,
    CatalogueEntry,
    CatalogueFields,
    CatalogueTemplate,
    Frequency,
    TemplateEntry,
    TemplateStatus,
    Unit,
    UnitKind,
    VillageCatalogue,
)
from .roles import CATALOGUE_TEMPLATE, VILLAGE_CATALOGUE

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "data" / "default_template.json"
ENTRY_FIELDS = CatalogueFields.CONTENT_FIELDS
HEADINGS_FIRST = F("parent_id").asc(nulls_first=True)  # a copy's heading exists before its entries
# Entries in the order of the tree: headings by position, each followed by its entries by position
# (an entry's position orders it among its siblings only, so adding or moving one renumbers nothing).
# A tie of positions between top-level rows never interleaves two headings' entries (the group's
# id comes next).
TREE_ORDER = (
    Coalesce("parent__position", "position"),
    Coalesce("parent_id", "id"),
    HEADINGS_FIRST,
    "position",
    "code",
)
KEEP = object()  # "leave the entry under the heading it has" (a change that names no heading)
POSITION_STEP = 100


# --- Codes of the holdings' reference data ---------------------------------------------------------


def category_choices() -> list[tuple[str, str]]:
    """The 门类 an entry may name: the holdings' categories in use that are not divided further
    (KU·01 凭证, not KU), looked up through the app registry: villages imports no app above it."""
    Category = apps.get_model("holdings", "Category")
    rows = Category.objects.filter(is_active=True, children__isnull=True).order_by("sort_order", "code")
    return [(code, f"{code} {name}") for code, name in rows.values_list("code", "name")]


def retention_choices() -> list[tuple[str, str]]:
    """The current 保管期限 (legacy values are for old records, never for new filing)."""
    Retention = apps.get_model("holdings", "RetentionPeriod")
    rows = Retention.objects.filter(is_legacy=False).order_by("years").values_list("code", "name")
    return sorted(rows, key=lambda row: row[0] != "Y")  # 永久 first, then the shorter terms


def _clean_entry_fields(fields: dict[str, Any], *, heading: bool, adding: bool = False) -> dict[str, Any]:
    """The content fields of an entry, checked: a heading has no category or retention; a
    fileable entry names an existing category and a current retention period (a new one must
    name both: without a category it would be taken for a heading)."""
    data = {name: fields[name] for name in ENTRY_FIELDS if name in fields}
    for name in ("code", "title", "scope_note", "category_code", "retention_code"):
        if name in data:
            data[name] = str(data[name] or "").strip()
    if heading:
        data["category_code"] = data["retention_code"] = ""
        return data
    errors = {}
    if adding:
        data.setdefault("category_code", "")
        data.setdefault("retention_code", "")
    if "category_code" in data and data["category_code"] not in dict(category_choices()):
        errors["category_code"] = _("Choose a category from the list.")
    if "retention_code" in data and data["retention_code"] not in dict(retention_choices()):
        errors["retention_code"] = _("Choose a retention period from the list.")
    if "frequency" in data and data["frequency"] not in Frequency.values:
        errors["frequency"] = _("Choose how often the records arise.")
    if errors:
        raise ValidationError(errors)
    return data


def new_key() -> str:
    return secrets.token_hex(6)


def _next_position(entries: QuerySet, parent: Any) -> int:
    """A position after the last sibling under ``parent`` (None: after the last heading)."""
    siblings = entries.filter(parent=parent) if parent is not None else entries.filter(parent__isnull=True)
    last = siblings.aggregate(m=Max("position"))["m"]
    return (last if last is not None else 0) + POSITION_STEP


def visible_templates(user: Any) -> QuerySet:
    """The template versions a user may read: published ones of the county in reach, and drafts
    only for those who may change them (a village never sees an unpublished draft). The pages
    and the API read through here."""
    readable = CatalogueTemplate.objects.restrict(user, Action.VIEW)
    editable = CatalogueTemplate.objects.restrict(user, Action.CHANGE).values("pk")
    return readable.filter(Q(status=TemplateStatus.PUBLISHED) | Q(pk__in=editable))


# --- The county's template ---------------------------------------------------------------------------


def require_template_write(actor: Any, county: Unit) -> None:
    require_reach(
        actor, CATALOGUE_TEMPLATE, Action.CHANGE, county.pk, _("Only the county keeps its reference template.")
    )


def _require_draft(template: CatalogueTemplate) -> None:
    if template.status != TemplateStatus.DRAFT:
        raise ValidationError(_("This version is published and frozen: start a new version to change it."))


def _locked(template: CatalogueTemplate) -> CatalogueTemplate:
    """The template row locked for this transaction (a publish and an edit never interleave)."""
    return CatalogueTemplate.objects.select_for_update().get(pk=template.pk)


@transaction.atomic
def template_load_default(
    *, actor: Any, county: Unit, path: Path = DEFAULT_TEMPLATE, request: HttpRequest | None = None
) -> CatalogueTemplate:
    """Start the county's first version (a draft) from the default data file shipped with the
    system, for the county to adapt and publish. Refused when the county has a template."""
    require_template_write(actor, county)
    if county.kind != UnitKind.COUNTY:
        raise ValidationError(_("A reference template belongs to a county."))
    Unit.objects.select_for_update().filter(pk=county.pk).first()  # two clicks load once
    if CatalogueTemplate.objects.filter(unit=county).exists():
        raise ValidationError(_("The county already has a template: start a new version of it instead."))
    data = json.loads(path.read_text(encoding="utf-8"))
    template = CatalogueTemplate.objects.create(unit=county, version=1, title=data["title"], note=data.get("note", ""))
    position = 0
    for group in data["entries"]:
        position += 1
        heading = TemplateEntry.objects.create(
            template=template, key=group["code"], code=group["code"], title=group["title"], position=position * 100
        )
        for row in group.get("children", []):
            position += 1
            fields = _clean_entry_fields(
                {
                    "code": row["code"],
                    "title": row["title"],
                    "scope_note": row.get("scope", ""),
                    "category_code": row["category"],
                    "retention_code": row["retention"],
                    "frequency": row.get("frequency", Frequency.YEARLY),
                    "required": bool(row.get("required", False)),
                    "for_villages": bool(row.get("villages", True)),
                    "for_communities": bool(row.get("communities", True)),
                },
                heading=False,
            )
            TemplateEntry.objects.create(
                template=template, key=row["code"], parent=heading, position=position * 100, **fields
            )
    audit_record(
        action="template.create", actor=actor, obj=template, request=request, data={"version": 1, "source": "default"}
    )
    return template


@transaction.atomic
def template_new_version(*, actor: Any, county: Unit, request: HttpRequest | None = None) -> CatalogueTemplate:
    """A new draft copied from the newest published version (entries keep their keys, so the
    villages later see what changed). Returns the existing draft if there is one."""
    require_template_write(actor, county)
    Unit.objects.select_for_update().filter(pk=county.pk).first()  # one new version at a time
    draft = CatalogueTemplate.objects.filter(unit=county, status=TemplateStatus.DRAFT).first()
    if draft is not None:
        return draft
    source = latest_published(county)
    if source is None:
        raise ValidationError(_("There is no published version to start from."))
    version = (CatalogueTemplate.objects.filter(unit=county).aggregate(m=Max("version"))["m"] or 0) + 1
    draft = CatalogueTemplate.objects.create(unit=county, version=version, title=source.title, note="")
    copies: dict[int, TemplateEntry] = {}
    for entry in source.entries.order_by(HEADINGS_FIRST, "position"):
        copies[entry.pk] = TemplateEntry.objects.create(
            template=draft,
            key=entry.key,
            parent=copies.get(entry.parent_id) if entry.parent_id else None,
            position=entry.position,
            **entry.content(),
        )
    audit_record(
        action="template.create",
        actor=actor,
        obj=draft,
        request=request,
        data={"version": version, "source": source.version},
    )
    return draft


def template_open_draft(
    *, actor: Any, county: Unit, request: HttpRequest | None = None
) -> tuple[CatalogueTemplate, bool]:
    """The county's draft to edit: the one being edited, else a new version copied from the
    newest published one, else (a county without a template) the default shipped with the
    system. Returns it and whether it was made now (a second click opens the same draft)."""
    require_template_write(actor, county)
    draft = CatalogueTemplate.objects.filter(unit=county, status=TemplateStatus.DRAFT).first()
    if draft is not None:
        return draft, False
    if CatalogueTemplate.objects.filter(unit=county).exists():
        return template_new_version(actor=actor, county=county, request=request), True
    return template_load_default(actor=actor, county=county, request=request), True


@transaction.atomic
def template_update(*, actor: Any, template: CatalogueTemplate, request: HttpRequest | None = None, **fields: Any):
    """Change a draft's title or note."""
    require_template_write(actor, template.unit)
    template = _locked(template)
    _require_draft(template)
    wanted = {name: str(value or "").strip() for name, value in fields.items() if name in ("title", "note")}
    changes = field_changes(template, wanted)
    if not changes:
        return template
    for name, value in wanted.items():
        setattr(template, name, value)
    template.full_clean()
    template.save()
    audit_record(action="template.change", actor=actor, obj=template, request=request, data=changes)
    return template


@transaction.atomic
def template_entry_save(
    *,
    actor: Any,
    template: CatalogueTemplate,
    entry: TemplateEntry | None = None,
    parent: TemplateEntry | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> TemplateEntry:
    """Add an entry to a draft (under ``parent``, a heading; none: a new heading) or change one;
    a changed entry given another ``parent`` heading moves under it (headings stay headings)."""
    require_template_write(actor, template.unit)
    template = _locked(template)
    _require_draft(template)
    if entry is not None and entry.template_id != template.pk:
        raise ValidationError(_("This entry belongs to another version."))
    if parent is not None and (parent.template_id != template.pk or not parent.is_heading or parent.parent_id):
        raise ValidationError({"parent": _("Choose a heading of this version.")})
    heading = (entry.parent_id is None) if entry is not None else parent is None
    if heading and entry is not None and parent is not None:
        raise ValidationError({"parent": _("A heading stays at the top level.")})
    adding = entry is None
    data = _clean_entry_fields(fields, heading=heading, adding=adding)
    changes: dict[str, Any] = {}
    if entry is None:
        position = _next_position(template.entries, parent)
        entry = TemplateEntry(template=template, key=new_key(), parent=parent, position=position)
    elif parent is not None and parent.pk != entry.parent_id:
        changes["heading"] = [entry.parent.code if entry.parent_id else None, parent.code]
        entry.parent, entry.position = parent, _next_position(template.entries, parent)
    changes.update(
        _write_entry(
            entry,
            data,
            adding=adding,
            exclude=["template", "parent"],
            duplicate=_("Another entry of this version has this code."),
        )
    )
    if changes:
        audit_record(
            action="template.entry_add" if adding else "template.entry_change",
            actor=actor,
            obj=template,
            request=request,
            data={"entry": entry.code, **changes},
        )
    return entry


@transaction.atomic
def template_entry_delete(*, actor: Any, entry: TemplateEntry, request: HttpRequest | None = None) -> None:
    """Remove an entry (and, for a heading, its entries) from a draft."""
    template = entry.template
    require_template_write(actor, template.unit)
    template = _locked(template)
    _require_draft(template)
    audit_record(action="template.entry_delete", actor=actor, obj=template, request=request, data={"entry": entry.code})
    entry.delete()


@transaction.atomic
def template_publish(*, actor: Any, template: CatalogueTemplate, request: HttpRequest | None = None):
    """Publish a draft: from now on it is frozen, and villages may derive or adopt it."""
    require_template_write(actor, template.unit)
    template = _locked(template)
    if template.status == TemplateStatus.PUBLISHED:
        return template  # a second click changes nothing
    fileable = [entry for entry in template.entries.all() if not entry.is_heading]
    if not fileable:
        raise ValidationError(_("A template needs at least one entry to file under before it is published."))
    categories, retentions = dict(category_choices()), dict(retention_choices())
    stale = [e.code for e in fileable if e.category_code not in categories or e.retention_code not in retentions]
    if stale:
        raise ValidationError(
            _("These entries name a category or retention period that no longer exists: %(codes)s.")
            % {"codes": "、".join(stale)}
        )
    if template.version > 1 and not template_differences(template):
        raise ValidationError(
            _(
                "This version changes nothing against the previous one: change it before publishing, or leave it a draft."
            )
        )
    template.status = TemplateStatus.PUBLISHED
    template.published_at = timezone.now()
    template.published_by = None if actor is SYSTEM else actor
    template.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        action="template.publish", actor=actor, obj=template, request=request, data={"version": template.version}
    )
    return template


def latest_published(county: Unit) -> CatalogueTemplate | None:
    return CatalogueTemplate.objects.filter(unit=county, status=TemplateStatus.PUBLISHED).order_by("-version").first()


def county_of(unit: Unit) -> Unit | None:
    """The county above a unit (the root of its path), whose template the unit follows."""
    root_id = int(unit.path.strip("/").split("/")[0]) if unit.path else unit.pk
    return Unit.objects.filter(pk=root_id, kind=UnitKind.COUNTY).first()


# --- A village's catalogue -----------------------------------------------------------------------------


def _require_catalogue_write(actor: Any, unit_id: int, action: Action = Action.CHANGE) -> None:
    require_reach(actor, VILLAGE_CATALOGUE, action, unit_id, _("This filing catalogue is outside your reach."))


def _entry_copy(catalogue: VillageCatalogue, source: TemplateEntry, parent: CatalogueEntry | None) -> CatalogueEntry:
    return CatalogueEntry(
        catalogue=catalogue,
        unit_id=catalogue.unit_id,
        key=source.key,
        parent=parent,
        template_entry=source,
        position=source.position,
        **source.content(),
    )


@transaction.atomic
def catalogue_derive(
    *, actor: Any, unit: Unit, template: CatalogueTemplate | None = None, request: HttpRequest | None = None
) -> VillageCatalogue:
    """Give a village (or community) its catalogue from a published version (default: the
    county's newest): the entries that apply to its kind, headings included."""
    _require_catalogue_write(actor, unit.pk, Action.ADD)
    if unit.kind not in VILLAGE_KINDS:
        raise ValidationError(_("A filing catalogue belongs to a village or a community."))
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # two clicks derive once
    existing = VillageCatalogue.objects.filter(unit=unit).first()
    if existing is not None:
        return existing
    county = county_of(unit)
    template = template or (latest_published(county) if county else None)
    if template is None or not template.is_published or (county and template.unit_id != county.pk):
        raise ValidationError(_("The county has not published a reference template yet."))
    catalogue = VillageCatalogue.objects.create(unit=unit, template=template)
    headings: dict[int, CatalogueEntry] = {}
    for source in template.entries.order_by(HEADINGS_FIRST, "position"):
        if source.parent_id is None:
            headings[source.pk] = _entry_copy(catalogue, source, None)
            headings[source.pk].save()
        elif source.applies_to(unit.kind):
            _entry_copy(catalogue, source, headings.get(source.parent_id)).save()
    audit_record(
        action="catalogue.create", actor=actor, obj=catalogue, request=request, data={"version": template.version}
    )
    return catalogue


DIFFERENCE_KINDS = ("added", "changed", "removed")


@dataclass
class Difference:
    """One difference between a village's catalogue and a newer template version."""

    kind: str  # "added", "changed", "removed"
    key: str
    new: TemplateEntry | None = None
    current: CatalogueEntry | None = None
    fields: dict[str, list[Any]] = field(default_factory=dict)  # changed: name → [current, new]

    @property
    def code(self) -> str:
        return (self.new or self.current).code  # type: ignore[union-attr]

    @property
    def title(self) -> str:
        return (self.new or self.current).title  # type: ignore[union-attr]


def catalogue_differences(catalogue: VillageCatalogue, template: CatalogueTemplate | None = None) -> list[Difference]:
    """What a newer version (default: the county's newest published) would change in the
    catalogue: entries added that apply to the village's kind, entries changed (content, or
    moved under another heading: ``fields["heading"]``), entries removed. Local entries are the
    village's own and never differ."""
    county = county_of(catalogue.unit)
    template = template or (latest_published(county) if county else None)
    if template is None:
        return []
    kind = catalogue.unit.kind
    new = {
        entry.key: entry
        for entry in template.entries.select_related("parent")
        if entry.is_heading or entry.applies_to(kind)
    }
    current = {
        entry.key: entry
        for entry in catalogue.entries.filter(retired_at__isnull=True, template_entry__isnull=False).select_related(
            "parent"
        )
    }
    return _compare(current, new)


def template_differences(template: CatalogueTemplate) -> list[Difference]:
    """What a version changes against the county's newest published version before it (every
    entry is added in a first version): what the county reviews before publishing."""
    previous = (
        CatalogueTemplate.objects.filter(
            unit_id=template.unit_id, status=TemplateStatus.PUBLISHED, version__lt=template.version
        )
        .order_by("-version")
        .first()
    )
    current = {e.key: e for e in previous.entries.select_related("parent")} if previous is not None else {}
    return _compare(current, {e.key: e for e in template.entries.select_related("parent")})


def _compare(current: dict[str, Any], new: dict[str, Any]) -> list[Difference]:
    """The differences between two sets of entries keyed by ``key``, in code order."""
    differences = []
    for key, entry in new.items():
        mine = current.get(key)
        if mine is None:
            differences.append(Difference("added", key, new=entry))
            continue
        changed = {
            name: [getattr(mine, name), getattr(entry, name)]
            for name in ENTRY_FIELDS
            if getattr(mine, name) != getattr(entry, name)
        }
        heading_now = mine.parent.key if mine.parent_id else None
        heading_new = entry.parent.key if entry.parent_id else None
        if heading_now != heading_new:
            changed["heading"] = [
                mine.parent.code if mine.parent_id else None,
                entry.parent.code if entry.parent_id else None,
            ]
        if changed:
            differences.append(Difference("changed", key, new=entry, current=mine, fields=changed))
    differences += [Difference("removed", key, current=entry) for key, entry in current.items() if key not in new]
    return sorted(differences, key=lambda d: (d.code, DIFFERENCE_KINDS.index(d.kind)))


def _adoption_order(difference: Difference) -> tuple[int, bool]:
    """Removals first (they free codes), then new headings (an entry may move under one), then
    changes, then new entries."""
    source = difference.new or difference.current
    is_entry = source.parent_id is not None  # type: ignore[union-attr]
    if difference.kind == "added":
        return (3 if is_entry else 1), is_entry
    return {"removed": 0, "changed": 2}[difference.kind], is_entry


@transaction.atomic
def catalogue_adopt(
    *,
    actor: Any,
    catalogue: VillageCatalogue,
    keys: list[str],
    template: CatalogueTemplate | None = None,
    request: HttpRequest | None = None,
) -> list[Difference]:
    """Adopt the chosen differences of a newer version (by entry key): add, update or retire
    those entries. A change keeps the village's not-applicable mark; a retired entry keeps its
    filed items. When nothing is left to adopt, the catalogue is on the new version. Returns
    what was adopted (nothing for keys that no longer differ: a second click is harmless)."""
    _require_catalogue_write(actor, catalogue.unit_id)
    # Locked without joins: a join would drop the row from a concurrent adoption's read once the
    # first one moves the catalogue to the new version.
    catalogue = VillageCatalogue.objects.select_for_update().get(pk=catalogue.pk)
    county = county_of(catalogue.unit)
    template = template or (latest_published(county) if county else None)
    if (
        template is None
        or not template.is_published
        or county is None
        or template.unit_id != county.pk
        or template.version < catalogue.template.version
    ):
        raise ValidationError(_("Only a newer published version of the county's template can be adopted."))
    differences = catalogue_differences(catalogue, template)
    wanted = set(keys)
    chosen = [d for d in differences if d.key in wanted]
    # An entry needs its heading: a heading the new version adds comes with its first entry.
    live_keys = set(catalogue.entries.filter(retired_at__isnull=True).values_list("key", flat=True))
    for difference in list(chosen):
        parent = difference.new.parent if difference.new is not None and difference.new.parent_id else None
        if parent is not None and parent.key not in live_keys and parent.key not in {d.key for d in chosen}:
            chosen += [d for d in differences if d.key == parent.key and d.kind == "added"]
    headings = {
        entry.key: entry
        for entry in catalogue.entries.filter(
            retired_at__isnull=True, parent__isnull=True, template_entry__isnull=False
        )
    }
    now = timezone.now()
    clash = _("The catalogue already has a live entry with the code %(code)s (perhaps one of the village's own).")
    kept_local: list[str] = []
    for difference in sorted(chosen, key=_adoption_order):
        if difference.kind == "removed":
            entry = difference.current
            entry.retired_at = now
            entry.save(update_fields=["retired_at", "updated_at"])
            # The village's own entries under a retired heading stay, at the top level.
            for local in entry.children.filter(retired_at__isnull=True, template_entry__isnull=True):
                local.parent = None
                local.position = _next_position(catalogue.entries.filter(retired_at__isnull=True), None)
                local.save(update_fields=["parent", "position", "updated_at"])
                kept_local.append(local.code)
            entry.children.filter(retired_at__isnull=True).update(retired_at=now)
        elif difference.kind == "changed":
            entry = difference.current
            for name, (_old, value) in difference.fields.items():
                if name != "heading":
                    setattr(entry, name, value)
            if "heading" in difference.fields:
                new_parent = difference.new.parent
                entry.parent = headings.get(new_parent.key) if new_parent is not None else None
            entry.template_entry = difference.new
            _save_unique(entry, clash % {"code": entry.code})
        else:
            source = difference.new
            parent = headings.get(source.parent.key) if source.parent_id else None
            entry = _entry_copy(catalogue, source, parent)
            _save_unique(entry, clash % {"code": source.code})
            if source.parent_id is None:
                headings[source.key] = entry
    # Entries already on this version need no adoption; carry their link to it.
    for entry in catalogue.entries.filter(retired_at__isnull=True, template_entry__isnull=False).exclude(
        template_entry__template=template
    ):
        same = template.entries.filter(key=entry.key).first()
        if same is not None and all(getattr(entry, n) == getattr(same, n) for n in ENTRY_FIELDS):
            entry.template_entry = same
            entry.save(update_fields=["template_entry", "updated_at"])
    if catalogue.template_id != template.pk and not catalogue_differences(catalogue, template):
        catalogue.template = template  # nothing (left) to adopt: the catalogue is on this version
        catalogue.save(update_fields=["template", "updated_at"])
    if chosen:
        audit_record(
            action="catalogue.adopt",
            actor=actor,
            obj=catalogue,
            request=request,
            data={
                "version": template.version,
                **{
                    kind: [d.code for d in chosen if d.kind == kind]
                    for kind in DIFFERENCE_KINDS
                    if any(d.kind == kind for d in chosen)
                },
                **({"kept": kept_local} if kept_local else {}),
            },
        )
    return chosen


@transaction.atomic
def catalogue_entry_set_applicable(
    *, actor: Any, entry: CatalogueEntry, applicable: bool, reason: str = "", request: HttpRequest | None = None
) -> CatalogueEntry:
    """Mark an entry not applicable to this village (with the reason) or applicable again. A
    not-applicable entry does not count in completeness."""
    _require_catalogue_write(actor, entry.unit_id)
    entry = CatalogueEntry.objects.select_for_update().get(pk=entry.pk)
    reason = (reason or "").strip()
    if not applicable and not reason:
        raise ValidationError({"not_applicable_reason": _("Say why the entry does not apply to this village.")})
    limit = CatalogueEntry._meta.get_field("not_applicable_reason").max_length
    if len(reason) > limit:
        raise ValidationError({"not_applicable_reason": _("Keep the reason within %(n)s characters.") % {"n": limit}})
    if entry.retired_at is not None:
        raise ValidationError(_("This entry is retired."))
    if entry.is_heading:
        raise ValidationError({"entry": _("A heading groups entries: mark the entries under it instead.")})
    if entry.applicable == applicable and (applicable or entry.not_applicable_reason == reason):
        return entry
    entry.applicable, entry.not_applicable_reason = applicable, "" if applicable else reason
    entry.save(update_fields=["applicable", "not_applicable_reason", "updated_at"])
    audit_record(
        action="catalogue.entry_applicable",
        actor=actor,
        obj=entry.catalogue,
        request=request,
        data={"entry": entry.code, "applicable": applicable, "reason": entry.not_applicable_reason},
    )
    return entry


@transaction.atomic
def catalogue_entry_save_local(
    *,
    actor: Any,
    catalogue: VillageCatalogue,
    entry: CatalogueEntry | None = None,
    parent: CatalogueEntry | object | None = KEEP,
    request: HttpRequest | None = None,
    **fields: Any,
) -> CatalogueEntry:
    """Add or change one of the village's own entries (一村一品: 农民画, 船鼓, 红色档案…), under
    ``parent`` (a heading of the catalogue) or at the top level (None); a change given another
    ``parent`` moves the entry there (``KEEP``: where it is)."""
    _require_catalogue_write(actor, catalogue.unit_id)
    if entry is not None and (entry.catalogue_id != catalogue.pk or not entry.is_local or not entry.is_live):
        raise ValidationError(_("Only the village's own entries are changed here."))
    if parent is KEEP:
        parent = entry.parent if entry is not None else None
    if parent is not None and (
        parent.catalogue_id != catalogue.pk or not parent.is_heading or not parent.is_live or parent.parent_id
    ):
        raise ValidationError({"parent": _("Choose a heading of this catalogue.")})
    adding = entry is None
    data = _clean_entry_fields(fields, heading=False, adding=adding)
    changes: dict[str, Any] = {}
    live = catalogue.entries.filter(retired_at__isnull=True)
    if entry is None:
        entry = CatalogueEntry(
            catalogue=catalogue,
            unit_id=catalogue.unit_id,
            key=f"local-{new_key()}",
            parent=parent,
            position=_next_position(live, parent),
        )
    elif (parent.pk if parent is not None else None) != entry.parent_id:
        changes["heading"] = [entry.parent.code if entry.parent_id else None, parent.code if parent else None]
        entry.parent, entry.position = parent, _next_position(live, parent)
    changes.update(
        _write_entry(
            entry,
            data,
            adding=adding,
            exclude=["catalogue", "unit", "parent", "template_entry"],
            duplicate=_("The catalogue already has a live entry with this code."),
        )
    )
    if changes:
        audit_record(
            action="catalogue.entry_add" if adding else "catalogue.entry_change",
            actor=actor,
            obj=catalogue,
            request=request,
            data={"entry": entry.code, **changes},
        )
    return entry


def _write_entry(entry: Any, data: dict[str, Any], *, adding: bool, exclude: list[str], duplicate: str) -> dict:
    """Set an entry's checked content and save it (a template's or a village's own); returns
    what changed, for the audit trail."""
    changes = {"code": [None, data.get("code")]} if adding else field_changes(entry, data)
    for name, value in data.items():
        setattr(entry, name, value)
    entry.full_clean(exclude=exclude)
    _save_unique(entry, duplicate)
    return changes


def _save_unique(entry: Any, message: str) -> None:
    """Save, turning a duplicate code into the form's error (not a 500)."""
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise ValidationError({"code": message}) from exc
