"""Filing completeness (归档齐全率): for each village and year, which required entries of its
filing catalogue (归档清单) have filed items and which are missing (DESIGN §3). It counts items,
so it lives here and not in ``villages``.

The rule, per required entry that applies (an entry marked not applicable never counts):

- a yearly entry is owed every year: filed when an item of that year is filed under it;
- a per-event entry is owed only when its event happened: a year with an item filed under it
  counts as filed, a year without one is not owed (nobody can tell a missing event from none);
- a standing entry (村规民约: filed once, kept current) is filed from the first year an item was
  filed under it; before that it is missing.

The figures for any set of villages and years take a constant number of queries: the villages,
their required entries, and the (entry, year) pairs that have filed items — never one per
village or entry. Who may read them is the caller's business (a unit the user reaches for the
village catalogue resource); the figures are counts of filed items, never their descriptions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from archives_site.audit import audit_record
from archives_site.scoping import SYSTEM, Action, require_reach, user_scope
from villages.catalogues import TREE_ORDER
from villages.models import TOWNSHIP_KINDS, VILLAGE_KINDS, CatalogueEntry, Frequency, Unit, UnitKind
from villages.roles import VILLAGE_CATALOGUE

from .models import FilingReminder, Item, RecordStatus

# Items that count as filed under an entry (drafts are not filed; withdrawn numbers are gone;
# a destroyed record was filed in its year).
COUNTED_STATUSES = (RecordStatus.FILED, RecordStatus.DESTROYED)


class State:
    """What an entry shows for a year (the heat-map's cell)."""

    FILED = "filed"
    MISSING = "missing"
    NOT_OWED = "not_owed"  # a per-event entry in a year without a filed event
    NOT_APPLICABLE = "not_applicable"
    ABSENT = "absent"  # the village's catalogue has no such entry

    LABELS = {
        FILED: gettext_lazy("Filed"),
        MISSING: gettext_lazy("Missing"),
        NOT_OWED: gettext_lazy("No event filed"),
        NOT_APPLICABLE: gettext_lazy("Not applicable"),
        ABSENT: gettext_lazy("Not in the catalogue"),
    }


@dataclass(frozen=True)
class Entry:
    """A required entry of a village's catalogue, as completeness needs it."""

    pk: int
    unit_id: int
    code: str
    title: str
    frequency: str
    applicable: bool
    position: tuple[int, int]  # (its heading's position, its own): the order of the tree

    @property
    def frequency_label(self) -> str:
        return str(Frequency(self.frequency).label)


@dataclass
class Score:
    """One village (or a group of villages) in one year: entries owed, filed, and what is missing."""

    owed: int = 0
    filed: int = 0
    missing: list[Entry] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        """Filed share of what is owed, rounded down (99.6 % is not complete); None when nothing is owed."""
        return None if not self.owed else self.filed * 100 // self.owed

    def add(self, other: Score) -> None:
        self.owed += other.owed
        self.filed += other.filed
        self.missing += other.missing


@dataclass
class Completeness:
    """The figures for a set of villages: their required entries and the years filed under each."""

    villages: list[Unit]
    entries: dict[int, list[Entry]]  # village id → its required entries, in catalogue order
    filed_years: dict[int, set[int]]  # entry id → years with a filed item
    catalogued: set[int]  # villages that have a catalogue

    def state(self, entry: Entry, year: int) -> str:
        if not entry.applicable:
            return State.NOT_APPLICABLE
        years = self.filed_years.get(entry.pk, set())
        if entry.frequency == Frequency.STANDING:
            return State.FILED if any(filed <= year for filed in years) else State.MISSING
        if year in years:
            return State.FILED
        return State.NOT_OWED if entry.frequency == Frequency.PER_EVENT else State.MISSING

    def score(self, village_id: int, year: int) -> Score:
        score = Score()
        for entry in self.entries.get(village_id, []):
            state = self.state(entry, year)
            if state in (State.FILED, State.MISSING):
                score.owed += 1
            if state == State.FILED:
                score.filed += 1
            elif state == State.MISSING:
                score.missing.append(entry)
        return score

    def total(self, year: int, village_ids: Iterable[int] | None = None) -> Score:
        """The score of several villages together (a township's, the county's)."""
        total = Score()
        for village_id in village_ids if village_ids is not None else (v.pk for v in self.villages):
            total.add(self.score(village_id, year))
        return total

    def columns(self) -> list[tuple[str, str]]:
        """(code, title) of every required entry of any of the villages, in template order:
        the heat-map's columns (a village without one of them shows it as absent)."""
        seen: dict[str, tuple[int, str]] = {}
        for entries in self.entries.values():
            for entry in entries:
                seen.setdefault(entry.code, (entry.position, entry.title))
        return [(code, title) for code, (_position, title) in sorted(seen.items(), key=lambda kv: (kv[1][0], kv[0]))]

    def row(self, village_id: int, year: int, columns: list[tuple[str, str]]) -> list[tuple[str, Entry | None]]:
        """A village's cells for ``columns`` in ``year``: (state, entry)."""
        by_code = {entry.code: entry for entry in self.entries.get(village_id, [])}
        cells: list[tuple[str, Entry | None]] = []
        for code, _title in columns:
            entry = by_code.get(code)
            cells.append((State.ABSENT, None) if entry is None else (self.state(entry, year), entry))
        return cells


def villages_under(unit: Unit) -> list[Unit]:
    """The active villages and communities at or below ``unit`` (one indexed prefix query)."""
    return list(
        Unit.objects.descendants_of(unit)
        .filter(kind__in=VILLAGE_KINDS, is_active=True)
        .only("id", "code", "name", "kind", "parent_id", "path")
        .order_by("path")
    )


def unit_in_reach(user: Any, unit_id: int | None) -> Unit | None:
    """The unit whose completeness ``user`` asked for, if they reach it for village catalogues
    and it has a completeness view (a county, township or village); else None (a 404)."""
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id is not None else None
    if unit is None or not level(unit) or not user_scope(user, VILLAGE_CATALOGUE, Action.VIEW).contains(unit.pk):
        return None
    return unit


def for_unit(unit: Unit, *, up_to_year: int) -> Completeness:
    """The figures of a village, or of every village below a township or county."""
    villages = [unit] if level(unit) == "village" else villages_under(unit)
    return compute(villages, up_to_year=up_to_year)


def compute(villages: list[Unit], *, up_to_year: int) -> Completeness:
    """The completeness figures of ``villages`` for every year up to ``up_to_year``: two queries."""
    ids = [village.pk for village in villages]
    rows = (
        CatalogueEntry.objects.filter(unit_id__in=ids, retired_at__isnull=True, required=True)
        .exclude(category_code="")
        .order_by("unit_id", *TREE_ORDER)
        .values_list("pk", "unit_id", "code", "title", "frequency", "applicable", TREE_ORDER[0], "position")
    )
    entries: dict[int, list[Entry]] = defaultdict(list)
    for *row, heading_position, position in rows:
        entries[row[1]].append(Entry(*row, position=(heading_position, position)))
    catalogued = set(entries)
    counted = [entry.pk for group in entries.values() for entry in group if entry.applicable]
    filed_years: dict[int, set[int]] = defaultdict(set)
    if counted:
        pairs = (
            Item.objects.filter(catalogue_entry_id__in=counted, year__lte=up_to_year, status__in=COUNTED_STATUSES)
            .values_list("catalogue_entry_id", "year")
            .distinct()
            .order_by()
        )
        for entry_id, year in pairs:
            filed_years[entry_id].add(year)
    return Completeness(villages=villages, entries=dict(entries), filed_years=dict(filed_years), catalogued=catalogued)


def groups_of(unit: Unit, villages: list[Unit]) -> list[tuple[Unit, list[int]]]:
    """For a county (or any unit above townships): its townships, each with its village ids."""
    townships = list(
        Unit.objects.filter(parent=unit, kind__in=TOWNSHIP_KINDS, is_active=True)
        .only("id", "code", "name", "kind", "path")
        .order_by("code")
    )
    return [(township, [v.pk for v in villages if v.path.startswith(township.path)]) for township in townships]


def home_unit(user: Any) -> Unit | None:
    """The unit a reader of completeness starts from: the county for county-wide roles, else
    the highest unit of their reach (a township officer's township, an archivist's village)."""
    scope = user_scope(user, VILLAGE_CATALOGUE, Action.VIEW)
    if scope.everything:
        return Unit.objects.filter(kind=UnitKind.COUNTY, parent__isnull=True).order_by("pk").first()
    return Unit.objects.filter(pk__in=scope.unit_ids, is_active=True).order_by("depth", "path").first()


def level(unit: Unit) -> str:
    """Which view a unit gets: ``county`` (townships compared), ``township`` (its villages ×
    entries), ``village`` (its entries × years)."""
    if unit.kind in VILLAGE_KINDS:
        return "village"
    if unit.kind in TOWNSHIP_KINDS:
        return "township"
    return "county" if unit.kind == UnitKind.COUNTY else ""


def as_data(figures: Completeness, year: int) -> list[dict[str, Any]]:
    """Per village: the figures the API gives (and inspections read)."""
    out = []
    for village in figures.villages:
        score = figures.score(village.pk, year)
        out.append(
            {
                "unit": village.pk,
                "unit_code": village.code,
                "unit_name": village.name,
                "year": year,
                "has_catalogue": village.pk in figures.catalogued,
                "owed": score.owed,
                "filed": score.filed,
                "percent": score.percent,
                "missing": [{"entry": e.pk, "code": e.code, "title": e.title} for e in score.missing],
            }
        )
    return out


# --- Reminders -------------------------------------------------------------------------------------


@transaction.atomic
def reminder_send(
    *, actor: Any, village: Unit, year: int, message: str = "", request: HttpRequest | None = None
) -> FilingReminder:
    """Remind a village of what it owes for ``year`` (shown on its home page). The sender must
    reach the village for the catalogue (``ADD``: the township or the county, not the village
    itself). A second reminder for the same year while one is still unacknowledged and sent
    today is the same reminder (a double click sends one)."""
    require_reach(
        actor, VILLAGE_CATALOGUE, Action.ADD, village.pk, _("Reminders are sent by the township or the county.")
    )
    if village.kind not in VILLAGE_KINDS:
        raise ValidationError(_("Reminders are sent to a village or a community."))
    message = (message or "").strip()
    limit = FilingReminder._meta.get_field("message").max_length
    if len(message) > limit:
        raise ValidationError({"message": _("Keep the message within %(n)s characters.") % {"n": limit}})
    Unit.objects.select_for_update().filter(pk=village.pk).first()  # two clicks: one reminder
    today = timezone.localdate()
    pending = FilingReminder.objects.filter(
        unit=village, year=year, acknowledged_at__isnull=True, sent_at__date=today
    ).first()
    if pending is not None:
        return pending
    score = compute([village], up_to_year=year).score(village.pk, year)
    if not score.missing:
        raise ValidationError(
            _("%(unit)s misses nothing for %(year)s: no reminder is needed.") % {"unit": village.name, "year": year}
        )
    reminder = FilingReminder.objects.create(
        unit=village,
        year=year,
        message=message,
        missing=[entry.code for entry in score.missing],
        sent_by=None if actor is SYSTEM else actor,
    )
    audit_record(
        action="reminder.send",
        actor=actor,
        obj=reminder,
        request=request,
        data={"year": year, "missing": reminder.missing},
    )
    return reminder


@transaction.atomic
def reminder_acknowledge(*, actor: Any, reminder: FilingReminder, request: HttpRequest | None = None):
    """The village has seen the reminder: it leaves its home page (kept for the record)."""
    if actor is None or not may_acknowledge(actor, reminder.unit_id):
        raise PermissionDenied(_("A reminder is acknowledged by the village it was sent to."))
    reminder = FilingReminder.objects.select_for_update().get(pk=reminder.pk)
    if reminder.acknowledged_at is not None:
        return reminder
    reminder.acknowledged_at = timezone.now()
    reminder.acknowledged_by = None if actor is SYSTEM else actor
    reminder.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_record(
        action="reminder.acknowledge", actor=actor, obj=reminder, request=request, data={"year": reminder.year}
    )
    return reminder


def may_acknowledge(actor: Any, village_id: int) -> bool:
    """Whether ``actor`` answers for the village itself: may change its catalogue but not send it
    reminders (a township officer could otherwise clear a reminder before the village saw it)."""
    if actor is SYSTEM:
        return True
    return user_scope(actor, VILLAGE_CATALOGUE, Action.CHANGE).contains(village_id) and not user_scope(
        actor, VILLAGE_CATALOGUE, Action.ADD
    ).contains(village_id)


def open_reminders(*, user: Any, limit: int = 5) -> list[FilingReminder]:
    """Unacknowledged reminders to the villages the user answers for (their home page); senders
    see none of the reminders they sent here."""
    change = user_scope(user, VILLAGE_CATALOGUE, Action.CHANGE)
    send = user_scope(user, VILLAGE_CATALOGUE, Action.ADD)
    if change.everything or send.everything:
        return []
    own = change.unit_ids - send.unit_ids
    return list(
        FilingReminder.objects.filter(unit_id__in=own, acknowledged_at__isnull=True)
        .select_related("unit", "sent_by")
        .order_by("-sent_at")[:limit]
    )
