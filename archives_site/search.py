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

The planner is kept off its known traps: short terms never become a trigram-indexable LIKE,
and the fallback runs with sequential and plain index scans disabled. Other databases (the
embedded SQLite trial) get a plain substring scan behind the same interface.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, F, IntegerField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FIELD_SEPARATOR = "\x1f"
PROBE_ROWS = 10_000
PROBE_MATCHES = 200


def fold(text: str | None) -> str:
    """Fold text the way ``search_text`` is stored: NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower().replace(FIELD_SEPARATOR, " ")


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
class SearchPage:
    ids: list[int]  # this page, newest first
    total: int
    total_is_estimate: bool
    has_more: bool
    strategy: str  # "probe", "index", "scan" (for benchmarks and tuning)


def filter_matching(qs: QuerySet, q: str | list[str]) -> QuerySet:
    """All rows of ``qs`` matching the query (no paging, no index choice): for exports."""
    terms = query_terms(q) if isinstance(q, str) else q
    for index, term in enumerate(terms):
        qs = qs.annotate(**{f"_pos{index}": StrIndex(F("search_text"), Value(term))}).filter(**{f"_pos{index}__gt": 0})
    return qs


def search_ids(qs: QuerySet, q: str, *, page_size: int = 50, after_id: int | None = None) -> SearchPage:
    """One page of ids of ``qs`` rows matching ``q``, newest first, after ``after_id`` if given.

    ``qs`` carries every other condition (scope, filters); it must be over a model with an
    integer ``id`` and a ``search_text`` column.
    """
    terms = query_terms(q)
    if after_id is not None:
        qs = qs.filter(id__lt=after_id)
    qs = qs.order_by()
    if not terms:
        ids = list(qs.order_by("-id").values_list("id", flat=True)[: page_size + 1])
        total, estimate = count_rows(qs)
        return SearchPage(ids[:page_size], total, estimate, len(ids) > page_size, "list")
    if connection.vendor != "postgresql":
        return _scan(qs, terms, page_size)

    probe = _probe(qs, terms, page_size)
    if probe is not None:
        return probe
    return _index(qs, terms, page_size)


def _scan(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage:
    matching = filter_matching(qs, terms)
    ids = list(matching.order_by("-id").values_list("id", flat=True)[: page_size + 1])
    return SearchPage(ids[:page_size], matching.count(), False, len(ids) > page_size, "scan")


def _probe(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage | None:
    """Step 1: the newest rows in scope, filtered by strpos. None if it finds less than a page."""
    inner = qs.order_by("-id").values("id", "search_text")[:PROBE_ROWS]
    inner_sql, inner_params = inner.query.sql_with_params()
    conditions = " AND ".join("strpos(s.search_text, %s) > 0" for _ in terms)
    # row_number() streams in id order, so the LIMIT still stops the scan early.
    sql = (
        "SELECT s.id, s.rn FROM ("  # noqa: S608 - the inner SQL is the ORM's, values are parameters
        f"SELECT p.id, p.search_text, row_number() OVER (ORDER BY p.id DESC) AS rn FROM ({inner_sql}) p"
        f") s WHERE {conditions} ORDER BY s.id DESC LIMIT %s"
    )
    limit = max(PROBE_MATCHES, page_size + 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *terms, limit])
        rows = cursor.fetchall()
    ids = [row[0] for row in rows]
    if len(rows) == limit:  # plenty of matches among the newest rows: estimate from the hit rate
        total = max(len(rows), round(len(rows) * _estimated_rows(qs) / rows[-1][1]))
        return SearchPage(ids[:page_size], total, True, True, "probe")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({inner_sql}) p", inner_params)  # noqa: S608
        scanned = cursor.fetchone()[0]
    if scanned < PROBE_ROWS:  # the probe saw every row in scope: the answer is exact
        return SearchPage(ids[:page_size], len(ids), False, len(ids) > page_size, "probe")
    if len(rows) > page_size:
        total = max(len(rows), round(len(rows) * _estimated_rows(qs) / PROBE_ROWS))
        return SearchPage(ids[:page_size], total, True, True, "probe")
    return None


def _index(qs: QuerySet, terms: list[str], page_size: int) -> SearchPage:
    """Step 2: the right GIN index for the most selective term, exact recheck, exact total."""
    key = max(terms, key=lambda t: max((len(run) for run in _word_runs(t)), default=0))
    longest_run = max((len(run) for run in _word_runs(key)), default=0)
    if longest_run >= 3:
        indexed = qs.filter(RawSQL("search_text LIKE %s", [_like_pattern(key)], output_field=BooleanField()))
        strategy = "index"
    elif (tsquery := _grams_tsquery(key)) is not None:
        indexed = qs.filter(RawSQL("grams12f(search_text) @@ %s::tsquery", [tsquery], output_field=BooleanField()))
        strategy = "index"
    else:  # only punctuation: nothing to index on
        indexed, strategy = qs, "scan"
    matching = filter_matching(indexed, terms).annotate(
        _total=RawSQL("count(*) OVER ()", [], output_field=IntegerField())
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        rows = list(matching.order_by("-id").values_list("id", "_total")[: page_size + 1])
    total = rows[0][1] if rows else 0
    ids = [row[0] for row in rows]
    return SearchPage(ids[:page_size], total, False, len(ids) > page_size, strategy)


COUNT_CAP = 10_000


def count_rows(qs: QuerySet) -> tuple[int, bool]:
    """(total, is_estimate): exact up to ``COUNT_CAP`` rows, the planner's estimate beyond."""
    capped = qs.order_by().values("id")[: COUNT_CAP + 1].count()
    if capped <= COUNT_CAP or connection.vendor != "postgresql":
        return (capped, False) if capped <= COUNT_CAP else (qs.count(), False)
    return max(capped, _estimated_rows(qs)), True


def _estimated_rows(qs: QuerySet) -> int:
    """The planner's row estimate for ``qs`` (half a millisecond, no scan)."""
    plan = json.loads(qs.explain(format="json"))
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
