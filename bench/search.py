"""Chinese search at county scale: the API as three users vs unindexed ILIKE, same hits.

For each query class (1, 2 and 4 characters, plus mixed) the first page through the API is
timed as a county administrator (no scope filter), a township officer and a village archivist
(scoped); the baseline is an unindexed ``ILIKE`` over the same fields on the same table.
"""

from __future__ import annotations

from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from archives_site.search import fold
from villages import services as unit_services
from villages.models import RoleAssignment, Unit

from .report import pct, row, timed

QUERIES = {
    # common … rare … absent, like the calibration's log-spaced sets
    "1 char": [
        "村",
        "关",
        "会",
        "于",
        "年",
        "镇",
        "请",
        "宅",
        "批",
        "防",
        "堃",
        "镕",
        "珺",
        "〇",
        "鑫",
        "龘",
        "猫",
        "狗",
    ],
    "2 chars": [
        "关于",
        "村民",
        "会议",
        "通知",
        "土地",
        "承包",
        "补助",
        "宅基",
        "换届",
        "孙堃",
        "陈镕",
        "溪口",
        "不存",
        "狗猫",
        "委会",
    ],
    "4 chars": [
        "村民代表",
        "土地承包",
        "工作总结",
        "会议记录",
        "文化礼堂",
        "危旧房改",
        "宅基地审",
        "周珺同志",
        "森林防火",
        "老年活动",
        "不存在的",
        "委员会议",
        "会议通知",
    ],
    "mixed": ["镇政〔2015〕", "ZF[2019]", "ＺＦ［２０１９］", "c901", "2015", "bgs-0001", "example.gov"],
}
BASELINE_PER_CLASS = 8
FIELDS = ("title", "responsible", "doc_number", "reference_code", "note", "original_code")


def _user(username: str, role: str, unit_code: str):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    unit = Unit.objects.get(code=unit_code)
    if not RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        unit_services.role_assignment_create(actor=None, user=user, role=role, unit=unit)
    token, _ = Token.objects.get_or_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _api_ids(client: Client, q: str) -> list[int]:
    response = client.get("/api/v1/items/", {"q": q})  # the default first page (20 rows)
    assert response.status_code == 200, response.content[:300]
    return [r["id"] for r in response.json()["results"]]


def _truth(q: str) -> list[int]:
    terms = fold(q).split()
    where = " AND ".join("strpos(search_text, %s) > 0" for _ in terms)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute(f"SELECT id FROM holdings_item WHERE {where} ORDER BY id DESC LIMIT 20", terms)
        ids = [r[0] for r in cursor.fetchall()]
        cursor.execute("RESET enable_bitmapscan")
    return ids


def _ilike(q: str) -> None:
    pattern = f"%{q}%"
    where = " OR ".join(f"{field} ILIKE %s" for field in FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_bitmapscan = off")
        cursor.execute(f"SELECT id FROM holdings_item WHERE {where} ORDER BY id DESC LIMIT 20", [pattern] * len(FIELDS))
        cursor.fetchall()
        cursor.execute("RESET enable_bitmapscan")


def run() -> str:
    users = {
        "county admin": _user("bench_admin", "county_admin", "BENCH"),
        "township": _user("bench_township", "township_officer", "BENCH-T0"),
        "village": _user("bench_village", "village_archivist", "BENCH-T0-V3"),
    }
    lines = [
        "### Chinese search, first page (20 rows) through the API",
        "",
        "Median of 3 runs per query after a warm-up; p50/p95/max across the queries of a class. "
        "Baseline: unindexed `ILIKE '%q%'` over the same fields, newest first, same table, same run.",
        "",
        row(
            [
                "class",
                "queries",
                "admin p50",
                "admin p95",
                "admin max",
                "township p95",
                "village p95",
                "ILIKE p95",
                "ILIKE/ours (p95)",
                "same hits",
            ]
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for name, queries in QUERIES.items():
        times = {who: [] for who in users}
        mismatches = []
        for q in queries:
            for who, client in users.items():
                times[who].append(timed(lambda c=client, q=q: _api_ids(c, q)))
            if _api_ids(users["county admin"], q) != _truth(q):
                mismatches.append(q)
        baseline = [timed(lambda q=q: _ilike(q), repeat=1) for q in queries[:BASELINE_PER_CLASS]]
        ours_subset = times["county admin"][:BASELINE_PER_CLASS]
        ratio = pct(baseline, 95) / max(pct(ours_subset, 95), 0.001)
        admin = times["county admin"]
        lines.append(
            row(
                [
                    name,
                    len(queries),
                    f"{pct(admin, 50):.1f} ms",
                    f"{pct(admin, 95):.1f} ms",
                    f"{max(admin):.1f} ms",
                    f"{pct(times['township'], 95):.1f} ms",
                    f"{pct(times['village'], 95):.1f} ms",
                    f"{pct(baseline, 95):.0f} ms",
                    f"{ratio:.0f}×",
                    "yes" if not mismatches else f"NO: {mismatches}",
                ]
            )
        )
        worst = max(pct(t, 95) for t in times.values())
        verdicts.append(
            f"{name}: p95 ≤ 50 ms {'met' if worst <= 50 else 'MISSED'} (worst user {worst:.1f} ms); "
            f"≥ 50× ILIKE {'met' if ratio >= 50 else 'MISSED'} ({ratio:.0f}×)"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines) + "\n\nTargets: " + "; ".join(verdicts) + ".\n"
