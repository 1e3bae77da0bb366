"""Reads of the holdings, always starting from what the user may see."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import SimpleNamespace
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from archives_site.scoping import Action, scope_key, user_scope
from archives_site.search import SearchPage, filter_matching, query_terms, search_ids
from villages.models import Unit
from villages.roles import HOLDINGS, RESTRICTED_HOLDINGS

from .models import Category, Fonds, Item, OpenStatus, Volume

R = TypeVar("R", Item, Volume)


def visible(model: type[Item] | type[Volume] | type[Fonds], *, user: Any) -> QuerySet:
    """The rows of ``model`` that ``user`` may see at all: the one way lists, search, counts,
    exports, PDFs and volume pages reach holdings. An open-only assignment (an external system)
    adds only the open, unclassified rows of its units (``ScopePolicy.open_rows``). Restricted
    rows the user may see but not read in full come back too: show them through
    :func:`withhold`, search them through :func:`searchable`."""
    return model.objects.restrict(user, Action.VIEW)


# The descriptive fields of a restricted record that a user without the restricted-holdings
# right never sees (in lists, search, exports, PDFs, volume pages); 档号, class and status stay.
WITHHELD_FIELDS = (
    "title",
    "responsible",
    "doc_number",
    "date",
    "classification",
    "classification_term",
    "note",
    "original_code",
    "disclosure",
    "start_date",
    "end_date",
)


def withhold(records: Iterable[R], *, user: Any) -> Iterator[R]:
    """The records as ``user`` may see them: a restricted record (classified, controlled,
    deferred) outside the user's restricted-holdings reach has its descriptive fields blanked
    and ``withheld`` set, so every page, export and serializer that prints it shows its 档号
    and status only. Such an instance refuses to be saved (see ``CatalogueRecord.save``). A
    record seen only because the archive pushed it to the user's unit has ``pushed`` set."""
    seen = user_scope(user, HOLDINGS, Action.VIEW)
    own = seen.unit_ids | seen.open_only_ids
    for record in records:
        if record.is_restricted and not can_view_restricted(user=user, record=record):
            mask(record)
        record.pushed = not seen.everything and not {record.creating_unit_id, record.custodian_unit_id} & own
        yield record


def mask(record: Any) -> None:
    """Blank a record's withheld fields in memory (never saved)."""
    for name in WITHHELD_FIELDS:
        if hasattr(record, name):
            setattr(record, name, "")
    record.title = _("(withheld: restricted record)")
    record.withheld = True


def catalogue_rows(model: type[Item] | type[Volume], *, user: Any, filters: dict[str, Any], q: str = "") -> QuerySet:
    """Every row of a list as an export reads it: what ``user`` may see, narrowed by the list's
    filters (``holdings.filtersets``) and matching ``q``, ordered as boxes are shelved (档号).
    Pass the rows through :func:`withhold` before showing them. Invalid filters raise
    ``ValidationError`` (the caller answers 400)."""
    from django.core.exceptions import ValidationError

    from .filtersets import ItemFilterSet, VolumeFilterSet

    filterset = (ItemFilterSet if model is Item else VolumeFilterSet)(
        filters, queryset=visible(model, user=user), request=SimpleNamespace(user=user)
    )
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return (
        filter_matching(searchable(filterset.qs, user=user, q=q), q)
        .select_related("fonds", "category", "retention")
        .order_by("fonds__code", "reference_code", "id")
    )


def searchable(qs: QuerySet, *, user: Any, q: str) -> QuerySet:
    """``qs`` ready to be searched for ``q`` by ``user``: a restricted row the user may not see
    in full matches on its 档号 only, never on the fields withheld from them (so ``?q=`` is no
    oracle on a secret title or 备注)."""
    terms = query_terms(q)
    if not terms or not _withholds_anything(user):
        return qs
    code_matches = Q()
    for term in terms:
        code_matches &= Q(reference_code__icontains=term)
    return qs.filter(~withheld_rows(qs.model, user=user) | code_matches)


def withheld_rows(model: type[Item] | type[Volume], *, user: Any) -> Q:
    """The rows of ``model`` whose descriptive fields ``user`` may not see (as a condition)."""
    scope = user_scope(user, RESTRICTED_HOLDINGS, Action.VIEW)
    if scope.everything:
        return Q(pk__in=[])
    in_reach = Q()
    for field in model.scope.read_fields:
        in_reach |= Q(**{f"{field}__in": sorted(scope.unit_ids)})
    return model.restricted_rows() & ~in_reach if scope.unit_ids else model.restricted_rows()


def _withholds_anything(user: Any) -> bool:
    """False when the user's restricted-holdings reach covers all they can see (most staff)."""
    restricted = user_scope(user, RESTRICTED_HOLDINGS, Action.VIEW)
    if restricted.everything:
        return False
    seen = user_scope(user, HOLDINGS, Action.VIEW)
    # Open-only reach sees no restricted rows at all.
    return seen.everything or not seen.unit_ids <= restricted.unit_ids


def can_view_restricted(*, user: Any, record: Item | Volume) -> bool:
    scope = user_scope(user, RESTRICTED_HOLDINGS, Action.VIEW)
    return scope.contains(record.custodian_unit_id) or scope.contains(record.creating_unit_id)


def unit_subtree_ids(unit_id: int) -> list[int]:
    unit = Unit.objects.filter(pk=unit_id).only("path").first()
    return list(Unit.objects.descendants_of(unit).values_list("id", flat=True)) if unit else []


def category_subtree_ids(category_id: int) -> list[int]:
    return [category_id, *Category.objects.filter(parent_id=category_id).values_list("id", flat=True)]


def record_search(
    qs: QuerySet, *, user: Any, q: str | None, page_size: int, after_id: int | None
) -> tuple[list[Any], SearchPage]:
    """One page of ``qs`` (already scoped and filtered) matching ``q``, newest first, as
    ``user`` may see it (restricted rows withheld)."""
    page = search_ids(searchable(qs, user=user, q=q or ""), q or "", page_size=page_size, after_id=after_id)
    by_id = qs.model.objects.select_related("fonds", "category", "retention").in_bulk(page.ids)
    return list(withhold((by_id[i] for i in page.ids if i in by_id), user=user)), page


def fonds_tree(*, user: Any, fonds: Fonds) -> list[dict[str, Any]]:
    """A fonds' volumes and items counted by category → year → retention (one GROUP BY each,
    on the class index, so a fonds of 100k items stays fast)."""
    keys = ("category_id", "category__code", "category__name", "year", "retention__code", "retention__name")
    order = ("category__sort_order", "category__code", "-year", "retention__sort_order")
    counts: dict[tuple, dict[str, int]] = {}
    for model, label in ((Volume, "volumes"), (Item, "n")):
        rows = visible(model, user=user).filter(fonds=fonds).values(*keys).annotate(count=Count("id")).order_by(*order)
        for row in rows:
            counts.setdefault(tuple(row[k] for k in keys), {"n": 0, "volumes": 0})[label] = row["count"]
    tree: list[dict[str, Any]] = []
    for key in sorted(counts, key=lambda k: (k[1], -k[3], k[4])):
        category_id, category_code, category_name, year_value, retention_code, retention_name = key
        n, volumes = counts[key]["n"], counts[key]["volumes"]
        if not tree or tree[-1]["category_id"] != category_id:
            tree.append(
                {
                    "category_id": category_id,
                    "label": f"{category_code} {category_name}",
                    "years": [],
                    "n": 0,
                    "volumes": 0,
                }
            )
        category = tree[-1]
        if not category["years"] or category["years"][-1]["year"] != year_value:
            category["years"].append({"year": year_value, "retentions": [], "n": 0, "volumes": 0})
        year = category["years"][-1]
        year["retentions"].append({"code": retention_code, "label": retention_name, "n": n, "volumes": volumes})
        for node in (year, category):
            node["n"] += n
            node["volumes"] += volumes
    return tree


# Statistics group millions of rows: computed at most this often per reach (users who see the
# same rows share them; a role change shows at once, as it changes the key).
STATISTICS_CACHE_SECONDS = 300


def holdings_statistics(*, user: Any) -> dict[str, list[dict[str, Any]]]:
    """Items in reach by category, year, retention, open status and custodian (cached briefly)."""
    return cache.get_or_set(
        f"statistics:holdings:{scope_key(user, HOLDINGS)}",
        lambda: _holdings_statistics(user),
        timeout=STATISTICS_CACHE_SECONDS,
    )


def _holdings_statistics(user: Any) -> dict[str, list[dict[str, Any]]]:
    items = Item.objects.restrict(user, Action.VIEW, granted=False).exclude(status="withdrawn")  # not pushed ones

    def grouped(*fields: str, order: str | None = None) -> list[dict[str, Any]]:
        return list(items.values(*fields).annotate(n=Count("id")).order_by(order or fields[0]))

    return {
        "category": grouped("category__code", "category__name", order="category__code"),
        "year": grouped("year"),
        "retention": grouped("retention__code", "retention__name", order="retention__code"),
        "open_status": grouped("open_status"),
        "custodian": grouped("custodian_unit__name", order="-n"),
    }


def annual_statistics(*, user: Any, year: int) -> dict[str, Any]:
    """The figures of the yearly holdings report (档案馆年报): totals and what this year added."""
    return cache.get_or_set(
        f"statistics:annual:{scope_key(user, HOLDINGS)}:{year}",
        lambda: _annual_statistics(user, year),
        timeout=STATISTICS_CACHE_SECONDS,
    )


def _annual_statistics(user: Any, year: int) -> dict[str, Any]:
    items = Item.objects.restrict(user, Action.VIEW, granted=False).exclude(status="withdrawn")
    volumes = visible(Volume, user=user).exclude(status="withdrawn")
    fonds = visible(Fonds, user=user)
    return {
        "fonds": fonds.count(),
        "volumes": volumes.count(),
        "items": items.count(),
        "items_permanent": items.filter(retention__code="Y").count(),
        "items_open": items.filter(open_status=OpenStatus.OPEN).count(),
        "items_added_this_year": items.filter(created_at__year=year).count(),
        "items_digitised": items.filter(generation="digitised").count(),
        "items_born_digital": items.filter(generation="born_digital").count(),
        "pages": items.aggregate(pages=Sum("page_count"))["pages"] or 0,
    }
