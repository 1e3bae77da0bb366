"""List and detail pages at county scale: p50/p95 and queries per request (target p95 ≤ 100 ms)."""

from __future__ import annotations

import random

from django.db import connection
from django.test.utils import CaptureQueriesContext

from holdings.models import Item

from .report import pct, row, timed
from .search import _user

SAMPLES = 30


def run() -> str:
    api = _user("bench_admin", "county_admin", "BENCH")
    village = _user("bench_village", "village_archivist", "BENCH-T0-V3")
    html = _user("bench_admin", "county_admin", "BENCH")
    from django.contrib.auth import get_user_model

    html.force_login(get_user_model().objects.get(username="bench_admin"))
    rng = random.Random(7)
    last = Item.objects.order_by("-id").values_list("id", flat=True).first()
    ids = [rng.randint(1, last) for _ in range(SAMPLES)]
    ids = list(Item.objects.filter(id__in=ids).values_list("id", flat=True))
    years = [rng.randint(1980, 2025) for _ in range(SAMPLES)]
    cases = {
        "API list, first page": lambda i: api.get("/api/v1/items/"),
        "API list, year filter": lambda i: api.get("/api/v1/items/", {"year": years[i]}),
        "API list, deep page (?after=)": lambda i: api.get("/api/v1/items/", {"after": ids[i % len(ids)]}),
        "API list as a village archivist": lambda i: village.get("/api/v1/items/"),
        "API detail": lambda i: api.get(f"/api/v1/items/{ids[i % len(ids)]}/"),
        "HTML item list": lambda i: html.get("/holdings/items/"),
        "HTML item list, year filter": lambda i: html.get("/holdings/items/", {"year": years[i]}),
        "HTML item detail": lambda i: html.get(f"/holdings/items/{ids[i % len(ids)]}/"),
    }
    lines = [
        "### List and detail pages",
        "",
        f"{SAMPLES} requests each (median of 3 per request), in-process Django client incl. middleware and auth.",
        "",
        row(["page", "p50", "p95", "max", "queries", "target p95 ≤ 100 ms"]),
        "|---|---|---|---|---|---|",
    ]
    for name, fetch in cases.items():
        samples = [timed(lambda i=i, fetch=fetch: _ok(fetch(i))) for i in range(SAMPLES)]
        with CaptureQueriesContext(connection) as queries:
            _ok(fetch(0))
        lines.append(
            row(
                [
                    name,
                    f"{pct(samples, 50):.1f} ms",
                    f"{pct(samples, 95):.1f} ms",
                    f"{max(samples):.1f} ms",
                    len(queries),
                    "met" if pct(samples, 95) <= 100 else "MISSED",
                ]
            )
        )
        print(lines[-1], flush=True)
    return "\n".join(lines) + "\n"


def _ok(response):
    assert response.status_code == 200, (response.status_code, response.content[:200])
    return response
