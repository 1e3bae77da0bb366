"""Chinese substring search behind one interface (DESIGN §6, reference/search-calibration.md).

A searchable model keeps one ``search_text`` column: its searchable fields NFKC-folded,
lower-cased and joined by U+001F (so nothing matches across fields). A query matches a row
exactly when every space-separated term is a substring of ``search_text`` — the same answer as
``LIKE '%term%'`` — and results are newest first (id descending), paged by keyset.

On PostgreSQL the page is found in two steps, which is what met the targets at 2M rows:

1. *probe*: scan the newest ``PROBE_ROWS`` rows in scope with ``strpos``; if that yields a full
   page, serve it, with the total estimated from the hit rate ("约 N 条");
2. *fallback*: otherwise ask the right GIN index — pg_trgm for a term with a run of ≥ 3 word
   characters, else the 1-/2-gram expression index — with an exact ``strpos`` recheck and an
   exact total from ``count(*) OVER ()``.

A scoped user (a village, a township) reads the scope by partition: one branch per unit and
unit field, each an index-only scan of a covering ``(unit, id)`` index
(:func:`scope_search_indexes`), merged newest first — so the probe costs the same for a village
as for the county. When the probe misses in a small scope (``SMALL_SCOPE_ROWS``), the rest of the
scope is read whole (*scope*) unless the 1-/2-gram statistics say the term is rare in the county,
which would make the GIN index cheaper; a GIN index visits every match in the county, most of
them outside a small scope.

The planner is kept off its known traps: short terms never become a trigram-indexable LIKE,
and the fallback runs with sequential and plain index scans disabled. Other databases (the
embedded SQLite trial) get a plain substring scan behind the same interface.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import BooleanField, F, IntegerField, Q, QuerySet, Transform, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .scoping import UNIT_PLACEHOLDER, unlike_earlier_fields

FIELD_SEPARATOR = "\x1f"
PROBE_ROWS = 10_000
PROBE_MATCHES = 200
# A scope estimated at no more rows than this is probed whole: the answer is then exact.
SMALL_SCOPE_ROWS = 100_000
# Rows whose search text is longer than this (bytes) stay out of the covering scope indexes, as
# a btree entry must fit in a third of a page; a small partial index of their own serves them.
INLINE_TEXT_BYTES = 2000


class OctetLength(Transform):
    lookup_name = "octet_length"
    function = "OCTET_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):  # octet_length() is new in SQLite 3.43
        return self.as_sql(compiler, connection, template="length(CAST(%(expressions)s AS BLOB))", **extra_context)


models.TextField.register_lookup(OctetLength)


def inline_text() -> Q:
    """Rows whose search text is short enough to be carried in an index entry (nearly all)."""
    return Q(search_text__octet_length__lte=INLINE_TEXT_BYTES)


def scope_search_indexes(prefix: str, unit_fields: tuple[str, ...]) -> list[models.Index]:
    """The indexes a scoped search reads, for a model scoped by ``unit_fields`` (its
    ``ScopePolicy.read_fields``).

    For each unit field, rows of one unit newest first (``unit, id``), carrying the other unit
    fields and the search text, so probing a village's newest rows is an index-only scan instead
    of thousands of random heap reads; rows of a later field are only those whose unit differs
    from the earlier fields' (see ``ScopedQuerySet``), which keeps those indexes small.
    """
    indexes = []
    for position, field in enumerate(unit_fields):
        others = [other for other in unit_fields if other != field]
        distinct = unlike_earlier_fields(unit_fields, position)
        name = f"{prefix}_{field.removesuffix('_id')}"
        indexes += [
            models.Index(
                fields=[field, "id"],
                include=[*others, "search_text"],
                condition=inline_text() & distinct,
                name=f"{name}_text",
            ),
            models.Index(fields=[field, "id"], condition=~inline_text() & distinct, name=f"{name}_long"),
        ]
    return indexes


def fold(text: str | None) -> str:
    """Fold text the way ``search_text`` is stored: NFKC (full-width → half-width), lower case.
    The field separator and NUL (which PostgreSQL text cannot hold) become spaces."""
    return unicodedata.normalize("NFKC", text or "").lower().replace(FIELD_SEPARATOR, " ").replace("\x00", " ")


def build_search_text(*fields: str | None) -> str:
    return FIELD_SEPARATOR.join(fold(field) for field in fields)


def query_terms(q: str | None) -> list[str]:
    """The folded, de-duplicated terms of a query (space-separated terms are ANDed)."""
    terms: list[str] = []
    for term in fold(q).split():
        if term not in terms:
            terms.append(term)
    return terms


def _word_runs(term: str) -> list[str]:
    runs, current = [], ""
    for char in term:
        if char.isalnum():
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def _grams_tsquery(term: str) -> str | None:
    """The AND of the term's word-character bigrams (or the single character of a 1-char run)."""
    lexemes: list[str] = []
    for run in _word_runs(term):
        grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        lexemes.extend(g for g in grams if g not in lexemes)
    if not lexemes:
        return None
    return " & ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class ProbeMiss:
    """The probe read its whole window without finding a page: what it found, and where it stopped."""

    ids: list[int]
    oldest_id: int


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]  # this page, newest first
    total: int
    total_is_estimate: bool
    has_more: bool
    strategy: str  # "probe", "index", "scan" (for benchmarks and tuning)
    # The total is only what was seen ("201+"): the planner's estimate of the scope fell short of
    # the rows actually read, so no estimate can be trusted (say "N+", never "约 N").
    total_is_lower_bound: bool = False


def filter_matching(qs: QuerySet, q: str | list[str]) -> QuerySet:
    """All rows of ``qs`` matching the query (no paging, no index choice): for exports."""
    terms = query_terms(q) if isinstance(q, str) else q
    for index, term in enumerate(terms):
        qs = qs.annotate(**{f"_pos{index}": StrIndex(F("search_text"), Value(term))}).filter(**{f"_pos{index}__gt": 0})
    return qs


NO_ROWS = SearchPage([], 0, False, False, "none")


def search_ids(qs: QuerySet, q: str, *, page_size: int = 50, after_id: int | None = None) -> SearchPage:
    """One page of ids of ``qs`` rows matching ``q``, newest first, after ``after_id`` if given.

    ``qs`` carries every other condition (scope, filters); it must be over a model with an
    integer ``id`` and a ``search_text`` column. A queryset that can match nothing (``none()``,
    a filter on an id list that came out empty, an integer out of its column's range) is an
    empty page, never an error.
    """
    try:
        return _search_ids(qs, q, page_size=page_size, after_id=after_id)
    except EmptyResultSet:
        return NO_ROWS


def _search_ids(qs: QuerySet, q: str, *, page_size: int, after_id: int | None) -> SearchPage:
    terms = query_terms(q)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    qs = qs.order_by()
    if not terms:
        return _list(qs, page_size)
    if connection.vendor != "postgresql":
        return _scan(qs, terms, page_size)

    probe = _probe(qs, terms, page_size)
    if isinstance(probe, SearchPage):
        return probe
    if _partitions(qs):
        scope_rows = _estimated_rows(qs)
        if scope_rows <= SMALL_SCOPE_ROWS and not _index_is_cheaper(qs, terms, scope_rows):
            return _scan_scope(qs, terms, page_size, probe)
    return _index(qs, terms, page_size)


def _rows_sql(qs: QuerySet, *columns: str, newest: int | None = None) -> tuple[str, list[Any]]:
    """SQL (and parameters) selecting ``columns`` of the rows of ``qs``, or of its ``newest``
    rows (in no order: the caller orders).

    A queryset restricted to a scope of a few units becomes ``UNION ALL`` branches, one per
    partition of the scope (see ``ScopedQuerySet``) and length of search text, each served by
    one partial index of ``scope_search_indexes``; PostgreSQL merges the branches in id order
    and stops when it has enough, where one ``unit IN (...)`` filter would walk the primary key
    past every other unit's rows.
    """
    partitions = _partitions(qs)
    if not partitions or connection.vendor != "postgresql":
        return _compiled(qs, columns, newest)
    searchable = any(field.name == "search_text" for field in qs.model._meta.concrete_fields)
    halves = (inline_text(), ~inline_text()) if searchable else (Q(),)
    sqls, params = [], []
    for template, unit_ids in partitions:
        for half in halves:
            sql, template_params = _compiled(template.filter(half), columns, newest)
            for unit_id in unit_ids:
                sqls.append(sql)
                params.extend(unit_id if value == UNIT_PLACEHOLDER else value for value in template_params)
    return " UNION ALL ".join(sqls), params


def _compiled(qs: QuerySet, columns: tuple[str, ...], newest: int | None) -> tuple[str, list[Any]]:
    selected = qs.values(*columns)
    selected = selected.order_by("-id")[:newest] if newest else selected.order_by()
    sql, params = selected.query.sql_with_params()
    return f"({sql})", list(params)


def _partitions(qs: QuerySet) -> list[tuple[QuerySet, tuple[int, ...]]] | None:
    return qs.scope_partitions() if hasattr(qs, "scope_partitions") else None


def _list(qs: QuerySet, page_size: int) -> SearchPage:
    """No search terms: the newest rows of ``qs`` and a (capped) count."""
    if connection.vendor == "postgresql":
        rows_sql, params = _rows_sql(qs, "id", newest=page_size + 1)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT r.id FROM ({rows_sql}) r ORDER BY r.id DESC LIMIT %s", [*params, page_size + 1])  # noqa: S608
            ids = [row[0] for row in cursor.fetchall()]
    else:
        ids = list(qs.order_by("-id").values_list("id", flat=True)[: page_size + 1])
    total, kind = count_total(qs)
    return SearchPage(ids[:page_size], total, kind != "exact", len(ids) > page_size, "list", kind == "at_least")


def _scan(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage:
    matching = filter_matching(qs, terms)
    ids = list(matching.order_by("-id").values_list("id", flat=True)[: page_size + 1])
    return SearchPage(ids[:page_size], matching.count(), False, len(ids) > page_size, "scan")


def _probe(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage | ProbeMiss:
    """Step 1: the newest ``PROBE_ROWS`` rows in scope, filtered by strpos.

    One statement reads the window and returns its matches (up to ``limit``) plus the window's
    last row, whose presence tells whether the window was full, i.e. whether the probe saw
    every row in scope. A miss is a window that was full but held less than a page.
    """
    rows_sql, params = _rows_sql(qs, "id", "search_text", newest=PROBE_ROWS)
    conditions = " AND ".join("strpos(w.search_text, %s) > 0" for _ in terms)
    limit = max(PROBE_MATCHES, page_size + 1)
    # row_number() streams in id order, so the outer LIMIT still stops the scan early.
    sql = (
        "SELECT s.id, s.rn, s.hit FROM ("  # noqa: S608 - the inner SQL is the ORM's, values are parameters
        f"SELECT w.id, row_number() OVER (ORDER BY w.id DESC) AS rn, ({conditions}) AS hit FROM ("
        f"SELECT r.id, r.search_text FROM ({rows_sql}) r ORDER BY r.id DESC LIMIT %s) w"
        ") s WHERE s.hit OR s.rn = %s ORDER BY s.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*terms, *params, PROBE_ROWS, PROBE_ROWS, limit + 1])
        rows = cursor.fetchall()
    hits = [(row_id, rn) for row_id, rn, hit in rows if hit]
    ids = [row_id for row_id, _rn in hits]
    window_read = len(rows) <= limit or not rows[-1][2]  # the LIMIT did not stop the scan early
    if not window_read:  # plenty of matches among the newest rows: estimate from the hit rate
        return _extrapolated(qs, ids, page_size, matches=limit, rows_read=hits[limit - 1][1])
    last = next((row_id for row_id, rn, _hit in rows if rn == PROBE_ROWS), None)
    if last is None:  # the window held every row in scope: the answer is exact
        return SearchPage(ids[:page_size], len(ids), False, len(ids) > page_size, "probe")
    if len(ids) > page_size:
        return _extrapolated(qs, ids, page_size, matches=len(ids), rows_read=PROBE_ROWS)
    return ProbeMiss(ids, last)


def _extrapolated(qs: QuerySet, ids: list[int], page_size: int, *, matches: int, rows_read: int) -> SearchPage:
    """A probe page whose total is the hit rate among the rows read times the scope's size.

    The scope's size is the planner's estimate; when it is below the rows the probe has just
    read (filters the planner takes for independent, e.g. a fonds and its village), it is wrong
    and so would be any figure made from it: the page then says only what it saw ("201+").
    """
    scope_rows = _estimated_rows(qs)
    if scope_rows < rows_read:
        return SearchPage(ids[:page_size], len(ids), True, True, "probe", total_is_lower_bound=True)
    return SearchPage(ids[:page_size], max(len(ids), round(matches * scope_rows / rows_read)), True, True, "probe")


def _scan_scope(qs: QuerySet, terms: list[str], page_size: int, probe: ProbeMiss) -> SearchPage:
    """Step 2 for a small scope (a village): read the rest of it, exactly, through the covering
    scope indexes — cheaper than a GIN index that would visit every match in the county."""
    rows_sql, params = _rows_sql(qs.filter(id__lt=probe.oldest_id), "id", "search_text")
    conditions = " AND ".join("strpos(r.search_text, %s) > 0" for _ in terms)
    wanted = page_size + 1 - len(probe.ids)
    sql = (
        f"SELECT r.id, count(*) OVER () FROM ({rows_sql}) r WHERE {conditions} "  # noqa: S608
        "ORDER BY r.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *terms, max(wanted, 1)])
        rows = cursor.fetchall()
    ids = probe.ids + [row[0] for row in rows][: max(wanted, 0)]
    total = len(probe.ids) + (rows[0][1] if rows else 0)
    return SearchPage(ids[:page_size], total, False, total > page_size, "scope")


def _index_condition(terms: list[str]) -> RawSQL | None:
    """The GIN condition for the most selective term: pg_trgm for a run of ≥ 3 word characters,
    else the 1-/2-gram index; None for terms of punctuation only (nothing to index on)."""
    key = max(terms, key=lambda t: max((len(run) for run in _word_runs(t)), default=0))
    longest_run = max((len(run) for run in _word_runs(key)), default=0)
    if longest_run >= 3:
        return RawSQL("search_text LIKE %s", [_like_pattern(key)], output_field=BooleanField())
    if (tsquery := _grams_tsquery(key)) is not None:
        return RawSQL("grams12f(search_text) @@ %s::tsquery", [tsquery], output_field=BooleanField())
    return None


def _index_is_cheaper(qs: QuerySet, terms: list[str], scope_rows: int) -> bool:
    """Whether the GIN candidates of the whole table (each a random heap visit, ~6× the cost
    of reading one scope row from its covering index) cost less than reading the scope.

    Only the 1-/2-gram index is asked: its lexeme statistics estimate well, whereas the
    planner's guess for a ``LIKE '%…%'`` pattern is a fixed fraction (``1978`` would look rare).
    """
    condition = _index_condition(terms)
    if condition is None or "LIKE" in condition.sql:
        return False
    candidates = _estimated_rows(qs.model._base_manager.filter(condition))
    return candidates * 6 < scope_rows


def _index(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage:
    """Step 2: the right GIN index for the most selective term, exact recheck, exact total."""
    condition = _index_condition(terms)
    indexed, strategy = (qs.filter(condition), "index") if condition is not None else (qs, "scan")
    matching = filter_matching(indexed, terms).annotate(
        _total=RawSQL("count(*) OVER ()", [], output_field=IntegerField())
    )
    # SET LOCAL lasts until the end of the transaction, which may be the caller's: the block is
    # rolled back (a savepoint inside the caller's transaction), which undoes the settings and
    # nothing else — it only reads.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        if _partitions(qs):
            # A served catalogue is in memory, where a random read costs about a sequential
            # one: said so, the planner intersects the GIN matches with the scope's units
            # (BitmapAnd) instead of visiting every match in the county (乡人民政 for a
            # township: 440 → 120 ms at 2M rows). Unscoped searches plan better without it.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        rows = list(matching.order_by("-id").values_list("id", "_total")[: page_size + 1])
        transaction.set_rollback(True)
    total = rows[0][1] if rows else 0
    ids = [row[0] for row in rows]
    return SearchPage(ids[:page_size], total, False, len(ids) > page_size, strategy)


COUNT_CAP = 10_000


def count_rows(qs: QuerySet) -> tuple[int, bool]:
    """(total, is_estimate): see :func:`count_total`."""
    total, kind = count_total(qs)
    return total, kind != "exact"


def count_total(qs: QuerySet) -> tuple[int, str]:
    """(total, kind): ``"exact"`` up to ``COUNT_CAP`` rows; beyond, the planner's ``"estimate"``,
    or — when the planner guesses no more than the cap it was just shown to exceed (a filter it
    misjudges) — ``"at_least"`` the cap ("10,000+"), never a made-up figure."""
    if connection.vendor != "postgresql":
        return qs.count(), "exact"
    try:
        rows_sql, params = _rows_sql(qs, "id")
    except EmptyResultSet:
        return 0, "exact"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM ({rows_sql}) r LIMIT %s) c", [*params, COUNT_CAP + 1])  # noqa: S608
        capped = cursor.fetchone()[0]
    if capped <= COUNT_CAP:
        return capped, "exact"
    estimated = _estimated_rows(qs)
    return (estimated, "estimate") if estimated > capped else (COUNT_CAP, "at_least")


def _estimated_rows(qs: QuerySet) -> int:
    """The planner's row estimate for ``qs`` (a millisecond, no scan); summed over the branches
    of a partitioned scope, each an equality on an indexed unit column, which the planner
    estimates far better than one OR of two ``IN`` lists."""
    rows_sql, params = _rows_sql(qs, "id")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {rows_sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def highlight(text: str | None, q: str | None) -> SafeString:
    """``text`` HTML-escaped with every match of the query's terms wrapped in ``<mark>``.

    Matching is on the folded text (full-width = half-width, any case), mapped back to the
    original characters.
    """
    text = text or ""
    terms = query_terms(q)
    if not terms or not text:
        return escape(text)
    folded, owner = "", []
    for index, char in enumerate(text):
        piece = fold(char)
        folded += piece
        owner.extend([index] * len(piece))
    marked = [False] * len(text)
    for term in terms:
        start = folded.find(term)
        while start != -1:
            for position in range(start, start + len(term)):
                marked[owner[position]] = True
            start = folded.find(term, start + 1)
    out, open_mark = [], False
    for char, is_marked in zip(text, marked, strict=True):
        if is_marked and not open_mark:
            out.append("<mark>")
        elif not is_marked and open_mark:
            out.append("</mark>")
        open_mark = is_marked
        out.append(escape(char))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every character was escaped above
