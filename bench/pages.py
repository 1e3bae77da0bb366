"""List and detail pages at county scale (DESIGN §12: p95 ≤ 100 ms, constant query count per page).

Each case is requested with ``SAMPLES`` different parameters (years, keyset positions, item ids),
each timed as the median of 3 runs after 1 warm-up; p50/p95/max are across the samples. The
queries of every sampled request are counted (``CaptureQueriesContext``): one number means the
count did not vary with the page, the year or the position in the table.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from holdings import selectors
from holdings.models import Item, OpenStatus

from . import generate
from .search import fmt_ms, percentile, timed

SAMPLES = 30


def _ok(response: Any) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request['PATH_INFO']} → {response.status_code}: {response.content[:300]!r}")
    return response


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def run(rows: int) -> str:
    users = generate.ensure_users()
    api = {name: Client(HTTP_AUTHORIZATION=f"Token {token}") for name, (_user, token) in users.items()}
    html = {}
    for name in ("county", "village"):
        html[name] = Client()
        html[name].force_login(users[name][0])
    rng = random.Random(generate.SEED)
    top = Item.objects.order_by("-id").values_list("id", flat=True).first() or 0
    plain = Item.objects.filter(classification="", open_status__in=[OpenStatus.OPEN, OpenStatus.UNREVIEWED])
    detail_ids = _spread_ids(plain, top, rng)
    restricted = list(
        Item.objects.filter(open_status=OpenStatus.CONTROLLED, id__gte=top // 2)
        .order_by("id")
        .values_list("id", flat=True)[:SAMPLES]
    )
    village_ids = _spread_ids(
        selectors.visible(Item, user=users["village"][0]).filter(classification="", open_status=OpenStatus.OPEN),
        top,
        rng,
    )
    years = [rng.randint(1975, 2025) for _ in range(SAMPLES)]
    deep = [rng.randint(top // 10, top) for _ in range(SAMPLES)]  # ?after= anywhere in the table

    cases: list[tuple[str, Callable[[int], Any]]] = [
        ("API list, first page (county admin)", lambda i: api["county"].get("/api/v1/items/")),
        ("API list, year filter (county admin)", lambda i: api["county"].get("/api/v1/items/", {"year": years[i]})),
        (
            "API list, deep page ?after= (county admin)",
            lambda i: api["county"].get("/api/v1/items/", {"after": deep[i]}),
        ),
        (
            "API list, year filter + deep page",
            lambda i: api["county"].get("/api/v1/items/", {"year": years[i], "after": deep[i]}),
        ),
        ("API list, first page (township officer)", lambda i: api["township"].get("/api/v1/items/")),
        ("API list, first page (village archivist)", lambda i: api["village"].get("/api/v1/items/")),
        ("API list, deep page (village archivist)", lambda i: api["village"].get("/api/v1/items/", {"after": deep[i]})),
        ("API detail (county admin)", lambda i: api["county"].get(f"/api/v1/items/{detail_ids[i % len(detail_ids)]}/")),
        (
            "API detail (village archivist)",
            lambda i: api["village"].get(f"/api/v1/items/{village_ids[i % len(village_ids)]}/"),
        ),
    ]
    if restricted:
        cases.append(
            (
                "API detail, controlled record (audited)",
                lambda i: api["county"].get(f"/api/v1/items/{restricted[i % len(restricted)]}/"),
            )
        )
    list_url = _url("holdings:item-list")
    if list_url:
        cases += [
            ("HTML item list (county admin)", lambda i: html["county"].get(list_url)),
            ("HTML item list, year filter", lambda i: html["county"].get(list_url, {"year": years[i]})),
            ("HTML item list, search 土地承包", lambda i: html["county"].get(list_url, {"q": "土地承包"})),
            ("HTML item list (village archivist)", lambda i: html["village"].get(list_url)),
        ]
    if _url("holdings:item-detail", 1):
        cases.append(
            (
                "HTML item detail (county admin)",
                lambda i: html["county"].get(reverse("holdings:item-detail", args=[detail_ids[i % len(detail_ids)]])),
            )
        )
    volume_url = _url("holdings:volume-list")
    if volume_url:
        cases.append(("HTML volume list (village archivist)", lambda i: html["village"].get(volume_url)))
    # The home dashboard; its slow figures are cached for a few minutes, so this is the usual visit.
    cases += [
        ("Home dashboard (county admin)", lambda i: html["county"].get("/")),
        ("Home dashboard (village archivist)", lambda i: html["village"].get("/")),
    ]
    lines = [
        "### List and detail pages",
        "",
        f"{SAMPLES} samples per case (different years, `?after=` positions and items), each the median of 3 "
        "runs after 1 warm-up; in-process Django client, middleware and auth included. Milliseconds.",
        "",
        "| page | p50 | p95 | max | queries per request | p95 ≤ 100 ms |",
        "|---|---|---|---|---|---|",
    ]
    missing = [name for name, url in (("holdings:item-list", list_url),) if not url]
    for name, fetch in cases:
        samples, query_counts = [], set()
        for i in range(SAMPLES):
            ms, _response = timed(lambda i=i, fetch=fetch: _ok(fetch(i)))
            samples.append(ms)
            with CaptureQueriesContext(connection) as captured:
                _ok(fetch(i))
            query_counts.add(len(captured))
        counts = "–".join(str(c) for c in sorted({min(query_counts), max(query_counts)}))
        p95 = percentile(samples, 95)
        lines.append(
            f"| {name} | {fmt_ms(percentile(samples, 50))} | {fmt_ms(p95)} | {fmt_ms(max(samples))} | {counts} | "
            f"{'met' if p95 <= 100 else '**MISSED**'} |"
        )
        print(lines[-1], flush=True)
    if missing:
        lines += ["", f"Not measured (URL names not defined yet): {', '.join(missing)}."]
    return "\n".join(lines) + "\n"


def _spread_ids(qs: Any, top: int, rng: random.Random) -> list[int]:
    """``SAMPLES`` ids of ``qs`` at random places in the table."""
    ids = [
        qs.filter(id__lte=rng.randint(1, top)).order_by("-id").values_list("id", flat=True).first()
        for _ in range(SAMPLES)
    ]
    return [i for i in ids if i is not None] or [top]
