"""Chinese search at county scale (DESIGN §12): the API as three users, the search step alone, and
an unindexed ``ILIKE`` baseline on the same table in the same run; plus identical hits.

Queries are picked like the calibration's (reference/search-calibration.md §0): per class (1, 2
and 4 characters) ~24 terms log-spaced over document frequency in a sample of the generated
rows, named ones (村 〇 堃 镕 珺 …), absent ones — including absent terms made of very common
characters or bigrams, the known hard case — and a mixed class (文号, codes, years, full-width
forms, two-term queries, terms clustered in old rows).

Each query is timed as the median of 3 runs after 1 warm-up:

- ``api``: ``GET /api/v1/items/?q=…`` through the in-process Django client with a token —
  authentication, scope, search, loading the page and serialising it — as the county
  administrator (no scope filter), a township officer and a village archivist (scoped);
- ``search``: ``archives_site.search.search_ids`` alone on the same user's queryset;
- ``ILIKE``: ``title ILIKE '%q%' OR responsible … OR note …`` newest first, bitmap scans off,
  on a subset of each class (it takes seconds per query).

Correctness: every first page (search step and API, each user) equals the first page of a plain
substring match on ``search_text`` — ``strpos`` in SQL for the county, and one Python pass over
all rows (``term in search_text``) that also gives the exact counts and the scoped pages.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test import Client

from archives_site.api.pagination import SearchPagination
from archives_site.scoping import Action, user_scope
from archives_site.search import query_terms, search_ids
from holdings import selectors
from holdings.models import Item
from villages.roles import HOLDINGS

from . import generate

PAGE = SearchPagination.page_size  # the API's first page
PER_CLASS = 24  # log-spaced terms per class, before named and absent ones
BASELINE_PER_CLASS = 10
BASELINE_SLOW_MS = 1000  # a baseline query slower than this is timed once after its warm-up
SAMPLE_ROWS = 60_000
ABSENT_1 = ["狗", "鑫", "龘", "猫"]
ABSENT_2 = ["狗猫", "不存"]
ABSENT_4 = ["不存在的"]
NAMED = {
    "1 char": ["村", "〇", "堃", "镕", "珺", "关", "档"],
    "2 chars": ["关于", "承包", "换届", "村村"],
    "4 chars": ["村民委员", "土地承包", "会议记录", "二〇一五"],
}
MIXED = [
    "镇政〔2015〕",
    "ZF[2019]",
    "ＺＦ［２０１９］",
    "qszf",
    "2015",
    "1978",
    "c105",
    "ws·2015",
    "kj·jj",
    "-0001",
    "二〇一五",
    "一九八六",
    "宅基地审批",
    "土地承包经营权",
    "老娘舅调解",
    "石门村委〔2015〕",
    "土地 承包",
    "青石镇 2015",
    "疫情防控",
    "统购统销",
    "三改一拆",
    "1998-永久",
    "http",
    "不存在的词语组合",
]
CJK_RUN = re.compile(r"[\u3007\u4e00-\u9fff]+")
BASELINE_FIELDS = ("title", "responsible", "doc_number", "reference_code", "note")


# --- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def timed(fn: Callable[[], Any], *, runs: int = 3, slow_ms: float | None = None) -> tuple[float, Any]:
    """(median ms of ``runs`` runs after one warm-up, the last result). A warm-up slower than
    ``slow_ms`` counts as the only run."""
    started = time.perf_counter()
    result = fn()
    warmup = (time.perf_counter() - started) * 1000
    if slow_ms is not None and warmup > slow_ms:
        return warmup, result
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def fmt_ms(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


# --- the query set ------------------------------------------------------------------------------


def _sample_texts(rows: int) -> list[str]:
    step = max(1, rows // SAMPLE_ROWS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_text FROM holdings_item WHERE id %% %s = 0 ORDER BY id", [step])
        return [r[0] for r in cursor.fetchall()]


def _document_frequencies(texts: list[str], n: int) -> Counter:
    df: Counter = Counter()
    for text in texts:
        grams = set()
        for run in CJK_RUN.findall(text):
            grams.update(run[i : i + n] for i in range(len(run) - n + 1))
        df.update(grams)
    return df


def _log_spaced(df: Counter, k: int, taken: set[str]) -> list[str]:
    """``k`` grams whose frequencies are spread evenly on a log scale from the commonest to the rarest."""
    ranked = sorted(df.items(), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return []
    high, low = ranked[0][1], ranked[-1][1]
    picked: list[str] = []
    for i in range(k):
        target = math.log(high) + (math.log(low) - math.log(high)) * i / max(k - 1, 1)
        best = min(
            (item for item in ranked if item[0] not in taken),
            key=lambda item: (abs(math.log(item[1]) - target), item[0]),
            default=None,
        )
        if best is None:
            break
        taken.add(best[0])
        picked.append(best[0])
    return picked


def build_queries(rows: int) -> dict[str, list[str]]:
    texts = _sample_texts(rows)
    df1, df2, df4 = (_document_frequencies(texts, n) for n in (1, 2, 4))
    queries: dict[str, list[str]] = {}
    for name, df in (("1 char", df1), ("2 chars", df2), ("4 chars", df4)):
        taken = {q for q in NAMED[name] if df[q] > 0}
        queries[name] = [*sorted(taken), *_log_spaced(df, PER_CLASS, set(taken))]
    # absent: unknown characters, and absent terms made of very common pieces (the GIN's worst case)
    top_chars = [c for c, _n in df1.most_common(30)]
    pairs = [a + b for a in top_chars for b in top_chars if a != b and df2[a + b] == 0][:2]
    top_bigrams = {g for g, _n in df2.most_common(300)}
    chains = sorted(
        (
            (min(df2[a], df2[a[1] + b[0]], df2[b]), a + b)
            for a in top_bigrams
            for b in top_bigrams
            if a[1] + b[0] in top_bigrams and df4[a + b] == 0
        ),
        reverse=True,
    )
    queries["1 char"] += [q for q in ABSENT_1 if df1[q] == 0]
    queries["2 chars"] += [q for q in ABSENT_2 if df2[q] == 0] + pairs
    queries["4 chars"] += [q for q in ABSENT_4 if df4[q] == 0] + [q for _n, q in chains[:3]]
    queries["mixed"] = list(MIXED)
    return {name: list(dict.fromkeys(qs)) for name, qs in queries.items()}


# --- ground truth: one pass over every row --------------------------------------------------------


def ground_truth(queries: list[str], scopes: dict[str, frozenset[int] | None], rows: int) -> dict[str, Any]:
    """Exact counts (whole table) and the first page of every scope for every query, by Python
    substring tests over all rows newest first. Cached in bench_meta for the data set."""
    digest = hashlib.sha256(repr((queries, sorted((k, sorted(v or ())) for k, v in scopes.items()), PAGE)).encode())
    key = f"truth:v{generate.VERSION}:{rows}:{digest.hexdigest()[:16]}"
    if (cached := generate.meta_get(key)) is not None:
        return cached
    started = time.perf_counter()
    terms = [query_terms(q) for q in queries]
    counts = [0] * len(queries)
    pages: dict[str, list[list[int]]] = {scope: [[] for _ in queries] for scope in scopes}
    with transaction.atomic(), connection.connection.cursor(name="bench_truth") as cursor:
        cursor.itersize = 20_000
        cursor.execute(
            "SELECT id, creating_unit_id, custodian_unit_id, search_text FROM holdings_item ORDER BY id DESC"
        )
        for item_id, creating, custodian, text in cursor:
            in_scope = [
                (scope, units is None or creating in units or custodian in units) for scope, units in scopes.items()
            ]
            for index, query_terms_ in enumerate(terms):
                if all(term in text for term in query_terms_):
                    counts[index] += 1
                    for scope, inside in in_scope:
                        if inside and len(pages[scope][index]) < PAGE:
                            pages[scope][index].append(item_id)
    truth = {
        "counts": dict(zip(queries, counts, strict=True)),
        "pages": {scope: dict(zip(queries, ids, strict=True)) for scope, ids in pages.items()},
        "seconds": time.perf_counter() - started,
    }
    generate.meta_set(key, truth)
    return truth


def sql_truth(q: str) -> list[int]:
    """The county's first page by a plain strpos on search_text (no index can serve it)."""
    terms = query_terms(q)
    where = " AND ".join("strpos(search_text, %s) > 0" for _ in terms) or "TRUE"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"SELECT id FROM holdings_item WHERE {where} ORDER BY id DESC LIMIT %s", [*terms, PAGE])
        return [r[0] for r in cursor.fetchall()]


def ilike(q: str) -> list[int]:
    """The baseline: unindexed ILIKE over the searchable columns, newest first."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    where = " OR ".join(f"{field} ILIKE %s" for field in BASELINE_FIELDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            f"SELECT id FROM holdings_item WHERE {where} ORDER BY id DESC LIMIT %s",
            [pattern] * len(BASELINE_FIELDS) + [PAGE],
        )
        return [r[0] for r in cursor.fetchall()]


def prewarm() -> float:
    """Read the table and its indexes into the OS page cache (the VM's cache is sometimes evicted)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT pg_prewarm(c.oid, 'read') FROM pg_class c WHERE c.oid = 'holdings_item'::regclass "
            "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'holdings_item'::regclass)"
        )
        cursor.fetchall()
    return time.perf_counter() - started


# --- the run --------------------------------------------------------------------------------------


def clients() -> dict[str, dict[str, Any]]:
    users = generate.ensure_users()
    out = {}
    for name, (user, token) in users.items():
        scope = user_scope(user, HOLDINGS, Action.VIEW)
        out[name] = {
            "user": user,
            "client": Client(HTTP_AUTHORIZATION=f"Token {token}"),
            "units": None if scope.everything else frozenset(scope.unit_ids),
            "rows": selectors.visible(Item, user=user).count(),
        }
    return out


def where_time_goes(queryset: Any, q: str) -> list[tuple[float, str]]:
    """The SQL statements of one ``search_ids`` call with their times (ms), for the report."""
    search_ids(queryset, q, page_size=PAGE)
    statements: list[tuple[float, str]] = []

    def timing(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not sql.startswith("SET LOCAL"):
                statements.append(((time.perf_counter() - started) * 1000, " ".join(sql.split())))

    with connection.execute_wrapper(timing):
        search_ids(queryset, q, page_size=PAGE)
    return statements


def _api(client: Client, q: str) -> list[int]:
    response = client.get("/api/v1/items/", {"q": q})
    if response.status_code != 200:
        raise RuntimeError(f"GET /api/v1/items/?q={q} → {response.status_code}: {response.content[:300]!r}")
    return [row["id"] for row in response.json()["results"]]


def run(rows: int) -> str:
    print(f"search: prewarm {prewarm():.1f} s", flush=True)
    users = clients()
    started = time.perf_counter()
    queries = build_queries(rows)
    print(f"search: query set built in {time.perf_counter() - started:.1f} s", flush=True)
    flat = [q for qs in queries.values() for q in qs]
    truth = ground_truth(flat, {name: u["units"] for name, u in users.items()}, rows)
    print(f"search: exact counts and scoped first pages ({truth['seconds']:.0f} s, cached)", flush=True)
    counts = truth["counts"]

    results: dict[str, list[dict[str, Any]]] = {}
    mismatches: list[str] = []
    for klass, qs in queries.items():
        results[klass] = []
        for q in qs:
            r: dict[str, Any] = {"q": q, "count": counts[q]}
            expected = sql_truth(q)
            if expected != truth["pages"]["county"][q]:
                mismatches.append(f"{q!r}: SQL strpos and the Python pass disagree")
            for name, u in users.items():
                qs_user = selectors.visible(Item, user=u["user"])
                ms, page = timed(lambda qs_user=qs_user, q=q: search_ids(qs_user, q, page_size=PAGE))
                r[f"search {name}"] = ms
                r[f"strategy {name}"] = page.strategy
                if name == "county":
                    r["strategy"], r["total"], r["estimate"] = page.strategy, page.total, page.total_is_estimate
                ms, api_ids = timed(lambda c=u["client"], q=q: _api(c, q))
                r[f"api {name}"] = ms
                want = truth["pages"][name][q]
                if page.ids != want:
                    mismatches.append(f"{q!r} as {name}: search_ids differs from substring match")
                if api_ids != want:
                    mismatches.append(f"{q!r} as {name}: API page differs from substring match")
            results[klass].append(r)
            print(
                f"  {klass:8} {q:<12} n={counts[q]:>9,} {r['strategy']:5} "
                + " ".join(f"{n}={r[f'api {n}']:.1f}/{r[f'search {n}']:.1f}" for n in users)
                + " ms (api/search)",
                flush=True,
            )
        # the baseline on a subset spread over the class's frequencies (it is slow)
        ordered = sorted(results[klass], key=lambda r: -r["count"])
        n = len(ordered)
        picks = sorted({round(i * (n - 1) / (BASELINE_PER_CLASS - 1)) for i in range(BASELINE_PER_CLASS)}) if n else []
        for index in picks:
            r = ordered[index]
            r["ilike"], ids = timed(lambda q=r["q"]: ilike(q), slow_ms=BASELINE_SLOW_MS)
            r["ilike same page"] = ids == truth["pages"]["county"][r["q"]]
            print(f"  {klass:8} {r['q']:<12} ILIKE {r['ilike']:.1f} ms", flush=True)
    diagnosis = []
    for name, u in users.items():
        worst = max((r for rs in results.values() for r in rs), key=lambda r: r[f"api {name}"])
        statements = where_time_goes(selectors.visible(Item, user=u["user"]), worst["q"])
        diagnosis.append((name, worst, statements))
    return _report(queries, results, mismatches, users, diagnosis)


def _ratio(value: float) -> str:
    return f"{value:,.1f}×" if value < 100 else f"{value:,.0f}×"


def _report(
    queries: dict[str, list[str]],
    results: dict[str, list[dict]],
    mismatches: list[str],
    users: dict[str, dict[str, Any]],
    diagnosis: list[tuple[str, dict, list[tuple[float, str]]]],
) -> str:
    names = list(users)
    lines = [
        f"### Chinese search, first page ({PAGE} rows, newest first)",
        "",
        "Milliseconds; each query the median of 3 runs after 1 warm-up; p50/p95/max across the queries of a class. "
        "**api** = `GET /api/v1/items/?q=` through the in-process Django client with a token (auth, scope, "
        "search, page load, serialisation); **search** = `search_ids` alone on the same user's queryset. Users: "
        f"county administrator (no scope filter, {users['county']['rows']:,} rows), township officer (青石镇 and "
        f"its 7 villages, {users['township']['rows']:,} rows in scope), village archivist (石门村, "
        f"{users['village']['rows']:,} rows in scope). Table and indexes prewarmed into the OS page cache; "
        "PostgreSQL settings untouched.",
        "",
        "| class | queries | matches (max … min) | "
        + " | ".join(f"api {n} p50 / p95 / max" for n in names)
        + " | search county p95 | strategies |",
        "|---|---|---|" + "---|" * len(names) + "---|---|",
    ]
    verdicts: list[str] = []
    for klass, rs in results.items():
        counts = sorted((r["count"] for r in rs), reverse=True)
        strategies = Counter(r["strategy"] for r in rs)
        cells = []
        for n in names:
            values = [r[f"api {n}"] for r in rs]
            cells.append(
                f"{fmt_ms(percentile(values, 50))} / **{fmt_ms(percentile(values, 95))}** / {fmt_ms(max(values))}"
            )
        search_p95 = percentile([r["search county"] for r in rs], 95)
        lines.append(
            f"| {klass} | {len(rs)} | {counts[0]:,} … {counts[-1]:,} | "
            + " | ".join(cells)
            + f" | {fmt_ms(search_p95)} | "
            + ", ".join(f"{s} {k}" for s, k in sorted(strategies.items()))
            + " |"
        )
    lines += [
        "",
        f"Baseline on a subset ({BASELINE_PER_CLASS} queries per class spread over the frequencies, absent ones "
        "included): `SELECT id FROM holdings_item WHERE title ILIKE '%q%' OR responsible … OR doc_number … OR "
        f"reference_code … OR note ILIKE '%q%' ORDER BY id DESC LIMIT {PAGE}` with bitmap scans and JIT off "
        f"(no index can serve it); queries slower than {BASELINE_SLOW_MS} ms were timed once after the warm-up. "
        "Ratios compare the same queries.",
        "",
        "| class | n | ILIKE p50 / p95 / max | api county p50 / p95 | search county p95 | ILIKE ÷ api (p95) | ILIKE ÷ search (p95) | per-query ILIKE ÷ api: median (min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[str, tuple[float, float]] = {}
    for klass, rs in results.items():
        subset = [r for r in rs if "ilike" in r]
        if not subset:
            continue
        base = [r["ilike"] for r in subset]
        api = [r["api county"] for r in subset]
        search = [r["search county"] for r in subset]
        per_query = [r["ilike"] / r["api county"] for r in subset]
        ratio_api = percentile(base, 95) / percentile(api, 95)
        ratio_search = percentile(base, 95) / percentile(search, 95)
        ratios[klass] = (ratio_api, ratio_search)
        lines.append(
            f"| {klass} | {len(subset)} | {fmt_ms(percentile(base, 50))} / {fmt_ms(percentile(base, 95))} / "
            f"{fmt_ms(max(base))} | {fmt_ms(percentile(api, 50))} / {fmt_ms(percentile(api, 95))} | "
            f"{fmt_ms(percentile(search, 95))} | **{_ratio(ratio_api)}** | {_ratio(ratio_search)} | "
            f"{statistics.median(per_query):,.1f}× ({min(per_query):,.2f}×) |"
        )
    lines.append("")
    for klass, rs in results.items():
        worst = max(percentile([r[f"api {n}"] for r in rs], 95) for n in names)
        ratio = ratios.get(klass, (math.nan, math.nan))[0]
        verdicts.append(
            f"{klass}: p95 ≤ 50 ms via the API {'met' if worst <= 50 else '**MISSED**'} (worst user {worst:.1f} ms); "
            f"≥ 50× faster than ILIKE at p95 {'met' if ratio >= 50 else '**MISSED**'} ({_ratio(ratio)})"
        )
    lines += ["**Targets** (DESIGN §12):", "", *[f"- {v}" for v in verdicts]]
    ilike_differs = [r["q"] for rs in results.values() for r in rs if r.get("ilike same page") is False]
    lines += [
        f"- identical hits: {'all first pages identical to substring match' if not mismatches else '**MISMATCHES**'} "
        f"({sum(len(rs) for rs in results.values())} queries × {len(names)} users × search step and API; "
        "county pages also checked against SQL `strpos`)",
        *[f"  - {m}" for m in mismatches],
        "",
        "ILIKE matches unfolded text across five columns, so its page differs where folding matters or a term "
        "occurs only in 原档号: " + (", ".join(ilike_differs) or "none") + ".",
        "",
        "Slowest queries through the API, per user (ms, with the search step's strategy for that user):",
        "",
        *[
            f"- {name}: "
            + ", ".join(
                f"`{r['q']}` {fmt_ms(r[f'api {name}'])} ({r[f'strategy {name}']}, {r['count']:,} matches in the table)"
                for r in sorted((r for rs in results.values() for r in rs), key=lambda r: -r[f"api {name}"])[:5]
            )
            for name in names
        ],
        "",
        "Where the time of each user's slowest query goes (the SQL of one `search_ids` call, ms):",
        "",
        *[
            f"- {name}, `{worst['q']}`: "
            + "; ".join(f"{ms:.1f} ms `{sql[:110]}{'…' if len(sql) > 110 else ''}`" for ms, sql in statements)
            for name, worst, statements in diagnosis
        ],
        "",
        "<details><summary>Per query (ms)</summary>",
        "",
        "| class | query | matches | strategy | total shown | "
        + " | ".join(f"api {n}" for n in names)
        + " | "
        + " | ".join(f"search {n}" for n in names)
        + " | ILIKE |",
        "|---|---|---|---|---|" + "---|" * (2 * len(names)) + "---|",
    ]
    for klass, rs in results.items():
        for r in sorted(rs, key=lambda r: -r["count"]):
            total = f"约 {r['total']:,}" if r["estimate"] else f"{r['total']:,}"
            lines.append(
                f"| {klass} | `{r['q']}` | {r['count']:,} | {r['strategy']} | {total} | "
                + " | ".join(fmt_ms(r[f"api {n}"]) for n in names)
                + " | "
                + " | ".join(fmt_ms(r[f"search {n}"]) for n in names)
                + f" | {fmt_ms(r['ilike']) if 'ilike' in r else ''} |"
            )
    lines += ["", "</details>", ""]
    return "\n".join(lines)
