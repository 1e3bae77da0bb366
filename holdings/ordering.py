"""The orders a list of items or volumes can be read in, and keyset pages in each of them.

Sort keys are columns (or expressions) of the record itself, each with a ``(key, id)`` btree
index per scope (migration 0010): the whole table, each unit field of the scope (the same
partitions as the search: ``ScopedQuerySet.scope_partitions``) and, for 档号, the fonds. A page
is ``(key, id) > (key of the cursor row, its id)``, so pages never skip or repeat a row however
many rows share a key.

档号 order is the natural order of the code: ``-9`` before ``-10`` and ``J2`` before ``J10``
(PostgreSQL's ICU collation ``archives_natural``, numbers compared as numbers), which is the
order of the code's parts as the template joins them (fonds, class, year, retention, org,
volume, number); drafts, without a code, come last.

Title and date are fields withheld from some readers (``selectors.WITHHELD_FIELDS``): sorting
by them would place a withheld record among the others by its secret title or date, so those
orders are offered only to users who see every record they reach in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from archives_site.filters import MAX_ID, whole_number
from archives_site.scoping import UNIT_PLACEHOLDER
from archives_site.search import SearchPage, count_total, inline_text, query_terms, search_ids

from . import selectors
from .models import Item, Volume

NATURAL_COLLATION = "archives_natural"
# The title is sorted by its first characters (a btree entry must stay small); ties by id.
TITLE_PREFIX = 100
# Rows a list may number as pages (OFFSET): beyond this, first / previous / next and a jump.
OFFSET_ROWS = 2_000
# A search's matches are sorted (by 档号, 年度 …) when there are at most this many.
SORTABLE_MATCHES = 1_000

TotalKind = Literal["exact", "estimate", "at_least"]


@dataclass(frozen=True)
class SortKey:
    """A column a list can be sorted by: ``name`` is the ``?ordering=`` value (the API's field)."""

    name: str
    label: Any
    column: str
    kind: Literal["code", "int", "date", "text"]
    withheld: bool = False  # one of selectors.WITHHELD_FIELDS

    def sql(self, model: type[Item] | type[Volume]) -> str:
        column = f'"{model._meta.db_table}"."{self.column}"'
        postgres = connection.vendor == "postgresql"
        if self.kind == "code":  # no code (a draft) sorts after every code
            return (
                f"(COALESCE({column}, U&'\\FFFF') COLLATE \"{NATURAL_COLLATION}\")"
                if postgres
                else f"COALESCE({column}, char(65535))"
            )
        if self.kind == "text":
            return f"left({column}, {TITLE_PREFIX})" if postgres else f"substr({column}, 1, {TITLE_PREFIX})"
        return column

    def start_value(self, raw: str) -> Any | None:
        """Where a jump ("跳到 …") typed by a person starts, or None if it cannot be one."""
        text = raw.replace("\x00", "").strip()
        if not text:
            return None
        if self.kind == "int":
            return whole_number(text, 0, 9999)
        if self.kind == "date":  # people type 2015-03 or 2015.03.01; the catalogue keeps 20150301
            digits = re.sub(r"[-./年月日\s]", "", text)
            return digits if digits.isdigit() and len(digits) <= 8 else None
        return text[: 80 if self.kind == "code" else TITLE_PREFIX]


CODE = SortKey("reference_code", _("Reference code"), "reference_code", "code")
YEAR = SortKey("year", _("Year"), "year", "int")
TITLE = SortKey("title", _("Title"), "title", "text", withheld=True)
SORT_KEYS: dict[type, tuple[SortKey, ...]] = {
    Item: (CODE, YEAR, SortKey("date", _("Date"), "date", "date", withheld=True), TITLE),
    Volume: (CODE, YEAR, SortKey("start_date", _("Start date"), "start_date", "date", withheld=True), TITLE),
}


@dataclass(frozen=True)
class Ordering:
    """A sort key (None: by id, i.e. newest first when descending) and a direction."""

    key: SortKey | None
    descending: bool

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + (self.key.name if self.key else "id")

    @property
    def is_newest_first(self) -> bool:
        return self.key is None and self.descending


NEWEST_FIRST = Ordering(None, True)


def default_ordering(model: type[Item] | type[Volume], filters: dict[str, Any]) -> Ordering:
    """Inside a fonds or a volume, 档号 order (how the boxes are shelved); elsewhere newest first."""
    return Ordering(CODE, False) if filters.get("fonds") or filters.get("volume") else NEWEST_FIRST


def orderings(model: type[Item] | type[Volume], *, user: Any) -> dict[str, Ordering]:
    """Every ``?ordering=`` value ``user`` may ask for on the list of ``model``."""
    allowed = {"-id": NEWEST_FIRST, "id": Ordering(None, False)}
    withholds = selectors._withholds_anything(user)
    for key in SORT_KEYS[model]:
        if key.withheld and withholds:
            continue
        allowed[key.name] = Ordering(key, False)
        allowed[f"-{key.name}"] = Ordering(key, True)
    return allowed


def ordering_params(model: type[Item] | type[Volume]) -> list[str]:
    """Every value ``?ordering=`` may take (for the API schema)."""
    return ["-id", "id", *(f"{sign}{key.name}" for key in SORT_KEYS[model] for sign in ("", "-"))]


@dataclass(frozen=True)
class Position:
    """Where a page starts: after or before a row (its id), at a typed value, or a page number."""

    after: int | None = None
    before: int | None = None
    start: str | None = None
    number: int | None = None


@dataclass
class RecordPage:
    """One page of ids in an ordering, with what the list may honestly say about the rest."""

    ids: list[int]
    total: int
    total_kind: TotalKind
    ordering: Ordering
    has_next: bool
    has_previous: bool
    number: int | None = None  # the page number, when the list is numbered
    num_pages: int | None = None  # set when the total is exact and small enough to number
    is_first: bool = False
    sorted_as_asked: bool = True  # False: a broad search stays newest first
    strategy: str = "keyset"

    @property
    def total_is_estimate(self) -> bool:
        return self.total_kind == "estimate"


def ordered_page(
    qs: QuerySet,
    *,
    ordering: Ordering,
    position: Position,
    page_size: int,
    partition: bool = True,
) -> RecordPage:
    """One page of ids of ``qs`` (scoped and filtered) in ``ordering``, and the count.

    ``partition``: read a scope of a few units branch by branch (each on its ``(unit, key, id)``
    index); off when a fonds or volume filter already narrows the rows to one place.
    """
    model = qs.model
    key_sql = ordering.key.sql(model) if ordering.key else None
    id_sql = f'"{model._meta.db_table}"."id"'
    qs = qs.order_by()
    try:
        anchor = _anchor(qs, ordering, position, key_sql)
        backwards = position.before is not None and anchor is not None
        jumped = position.after is not None or position.before is not None or bool(position.start)
        number = position.number if position.number and not jumped else None
        offset = (number - 1) * page_size if number else 0
        paged = qs if anchor is None else qs.filter(_after(ordering, key_sql, id_sql, anchor, backwards=backwards))
        ids = _ids(paged, ordering, key_sql, page_size + 1, offset, backwards=backwards, partition=partition)
        total, kind = count_total(qs)
    except EmptyResultSet:  # e.g. a filter on an id list that came out empty
        return RecordPage([], 0, "exact", ordering, False, False, 1, 1, is_first=True)
    more = len(ids) > page_size
    ids = ids[:page_size]
    if backwards:
        ids.reverse()
    numbered = kind == "exact" and total <= OFFSET_ROWS
    return RecordPage(
        ids=ids,
        total=total,
        total_kind=kind,  # type: ignore[arg-type]
        ordering=ordering,
        has_next=True if backwards else more,
        has_previous=more if backwards else (anchor is not None or offset > 0),
        number=(number or 1) if numbered and anchor is None else None,
        num_pages=max(1, -(-total // page_size)) if numbered else None,
        is_first=anchor is None and offset == 0,
    )


def _anchor(qs: QuerySet, ordering: Ordering, position: Position, key_sql: str | None) -> Any:
    """The ``(key, id)`` a page starts after (or before), or None for the first page."""
    row_id = position.after if position.after is not None else position.before
    if row_id is not None:
        if not 1 <= row_id <= MAX_ID:
            return None
        if key_sql is None:
            return (None, row_id)
        row = qs.filter(pk=row_id).annotate(_sort_key=RawSQL(key_sql, [])).values_list("_sort_key", flat=True)  # noqa: S611 - a SortKey expression, values are parameters
        values = list(row[:1])
        return (values[0], row_id) if values else None
    if position.start and ordering.key is not None:
        value = ordering.key.start_value(position.start)
        if value is None:
            return None
        # Just before the first row at the value: id 0 going up, MAX_ID going down.
        return (value, MAX_ID if ordering.descending else 0, "start")
    return None


def _after(ordering: Ordering, key_sql: str | None, id_sql: str, anchor: tuple, *, backwards: bool) -> RawSQL:
    """Rows past the anchor in the reading direction (before it when paging backwards)."""
    going_down = ordering.descending != backwards
    operator = "<" if going_down else ">"
    if anchor[2:] == ("start",):
        operator += "="  # the jump includes the rows at the typed value
    if key_sql is None:
        return RawSQL(f"{id_sql} {operator} %s", [anchor[1]], output_field=BooleanField())  # noqa: S611 - a SortKey expression, values are parameters
    return RawSQL(f"({key_sql}, {id_sql}) {operator} (%s, %s)", [anchor[0], anchor[1]], output_field=BooleanField())  # noqa: S611 - a SortKey expression, values are parameters


def _ids(
    qs: QuerySet,
    ordering: Ordering,
    key_sql: str | None,
    limit: int,
    offset: int,
    *,
    backwards: bool,
    partition: bool,
) -> list[int]:
    going_down = ordering.descending != backwards
    direction = "DESC" if going_down else "ASC"
    partitions = qs.scope_partitions() if partition and hasattr(qs, "scope_partitions") else None
    selected = qs.annotate(_sort_key=RawSQL(key_sql, [])) if key_sql else qs  # noqa: S611 - a SortKey expression, values are parameters
    order = [F("_sort_key").desc() if going_down else F("_sort_key").asc()] if key_sql else []
    order.append("-id" if going_down else "id")
    if not partitions or connection.vendor != "postgresql":
        return list(selected.order_by(*order).values_list("id", flat=True)[offset : offset + limit])
    # One branch per (unit field, unit) of the scope, each reading its own index in order and
    # stopping at the page; merged and cut to the page. Ordered by id only, a branch is split by
    # search-text length as the partial (unit, id) indexes of the search are.
    halves = (inline_text(), ~inline_text()) if key_sql is None else (Q(),)
    columns = ("id", "_sort_key") if key_sql else ("id",)
    sqls, params = [], []
    for template, unit_ids in partitions:
        for half in halves:
            branch = template.annotate(_sort_key=RawSQL(key_sql, [])) if key_sql else template  # noqa: S611 - a SortKey expression, values are parameters
            branch = branch.filter(half).values(*columns).order_by(*order)[: offset + limit]
            sql, branch_params = branch.query.sql_with_params()
            for unit_id in unit_ids:
                sqls.append(f"({sql})")
                params.extend(unit_id if value == UNIT_PLACEHOLDER else value for value in branch_params)
    outer = f"r._sort_key {direction}, r.id {direction}" if key_sql else f"r.id {direction}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.id FROM ({' UNION ALL '.join(sqls)}) r ORDER BY {outer} LIMIT %s OFFSET %s",  # noqa: S608
            [*params, limit, offset],
        )
        return [row[0] for row in cursor.fetchall()]


def record_page(
    qs: QuerySet,
    *,
    user: Any,
    q: str | None,
    ordering: Ordering,
    position: Position,
    page_size: int,
    partition: bool = True,
) -> RecordPage:
    """One page of a list of items or volumes (``qs``: scoped and filtered) in ``ordering``,
    searched for ``q``: the one read behind the HTML lists and the API's ``?ordering=``.

    A search is newest first (archives_site.search); in another order when it matches at most
    ``SORTABLE_MATCHES`` rows (all of them are then known, and sorted). A broader search stays
    newest first and says so (``sorted_as_asked``).
    """
    q = q or ""
    if not query_terms(q):
        return ordered_page(qs, ordering=ordering, position=position, page_size=page_size, partition=partition)
    searched = selectors.searchable(qs, user=user, q=q)
    if not ordering.is_newest_first:
        matches = search_ids(searched, q, page_size=SORTABLE_MATCHES)
        if not matches.has_more:
            return ordered_page(
                qs.filter(id__in=matches.ids),
                ordering=ordering,
                position=position,
                page_size=page_size,
                partition=False,
            )
        if position.after is None:  # its first rows are the newest-first page
            return _search_page(matches, page_size, first=True, sorted_as_asked=False)
    after = position.after if position.after is not None and 1 <= position.after <= MAX_ID else None
    page = search_ids(searched, q, page_size=page_size, after_id=after)
    return _search_page(page, page_size, first=after is None, sorted_as_asked=ordering.is_newest_first)


def _search_page(page: SearchPage, page_size: int, *, first: bool, sorted_as_asked: bool) -> RecordPage:
    kind: TotalKind = "at_least" if page.total_is_lower_bound else "estimate" if page.total_is_estimate else "exact"
    return RecordPage(
        ids=page.ids[:page_size],
        total=page.total,
        total_kind=kind,
        ordering=NEWEST_FIRST,
        has_next=page.has_more or len(page.ids) > page_size,
        has_previous=False,  # a search pages forward only; "first page" goes back
        is_first=first,
        sorted_as_asked=sorted_as_asked,
        strategy=page.strategy,
    )


def records(model: type[Item] | type[Volume], page: RecordPage, *, user: Any) -> list[Any]:
    """The rows of a page, in its order, as ``user`` may see them (restricted rows withheld)."""
    by_id = model.objects.select_related("fonds", "category", "retention").in_bulk(page.ids)
    return list(selectors.withhold((by_id[i] for i in page.ids if i in by_id), user=user))
