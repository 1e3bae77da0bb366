"""Filing completeness at county scale (DESIGN §12: a township of 90 villages × the default
template × 20 years at the 2M-item data; township page and API p95 ≤ 200 ms with a constant
number of queries, county overview ≤ 500 ms).

The data: a fourth township (归档镇, 90 villages) next to the generated county, each village with
its catalogue derived from the published default template and 20 years (2006–2025) of items
filed under its entries — realistically uneven: each village has its own diligence (some file
nearly everything, some far behind), and per-event entries have events in some years only. Made
once and recorded in ``bench_meta``; the 2M generated items stay as they are around it.

Each case is requested for ``SAMPLES`` different years, each timed as the median of 3 runs
after 1 warm-up. The baseline, measured in the same run, is the item detail page (one record,
a handful of indexed queries): the ratio column says how many such pages one request costs, a
figure that holds on a busier or quieter machine where the milliseconds do not.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archives_site.scoping import SYSTEM

from . import generate
from .pages import _ok
from .search import fmt_ms, percentile, timed

SAMPLES = 20
VILLAGES = 90
YEARS = range(2006, 2026)
TOWNSHIP = ("BX-T9", "归档镇")
META_KEY = "completeness-v1"


def ensure_data() -> dict[str, Any]:
    """The township, its 90 villages with catalogues and fonds, and their filed items (once)."""
    from holdings import services
    from holdings.models import Category, Fonds, Item, RecordStatus, RetentionPeriod
    from villages import catalogues
    from villages import services as unit_services
    from villages.models import CatalogueTemplate, TemplateStatus, Unit, UnitKind

    done = generate.meta_get(META_KEY)
    if done is not None and Item.objects.filter(fonds__code="C901", catalogue_entry__isnull=False).exists():
        return done  # (a regenerated catalogue truncated them: made again below)
    county = Unit.objects.get(code=generate.COUNTY[0])
    template = CatalogueTemplate.objects.filter(unit=county, status=TemplateStatus.PUBLISHED).first()
    if template is None:
        draft = CatalogueTemplate.objects.filter(unit=county).first() or catalogues.template_load_default(
            actor=SYSTEM, county=county
        )
        template = catalogues.template_publish(actor=SYSTEM, template=draft)
    township = Unit.objects.filter(code=TOWNSHIP[0]).first() or unit_services.unit_create(
        actor=SYSTEM, code=TOWNSHIP[0], name=TOWNSHIP[1], kind=UnitKind.TOWNSHIP, parent=county
    )
    rng = random.Random(f"{generate.SEED}:completeness")
    categories = dict(Category.objects.values_list("code", "pk"))
    retentions = dict(RetentionPeriod.objects.values_list("code", "pk"))
    items = 0
    for index in range(1, VILLAGES + 1):
        code = f"{TOWNSHIP[0]}-V{index:02d}"
        village = Unit.objects.filter(code=code).first() or unit_services.unit_create(
            actor=SYSTEM,
            code=code,
            name=f"归档{index}村",
            kind=UnitKind.VILLAGE,
            parent=township,
            custody_mode="own_room",
        )
        catalogue = catalogues.catalogue_derive(actor=SYSTEM, unit=village, template=template)
        fonds = Fonds.objects.filter(code=f"C9{index:02d}").first() or services.fonds_create(
            actor=SYSTEM,
            code=f"C9{index:02d}",
            name=f"归档{index}村民委员会",
            creating_unit=village,
            custodian_unit=village,
        )
        diligence = rng.choice([0.98, 0.9, 0.75, 0.5, 0.3, 0.1])  # some complete, some far behind
        rows = []
        for entry in catalogue.entries.exclude(category_code=""):
            for year in YEARS:
                chance = diligence * (0.35 if entry.frequency == "per_event" else 1.0)
                if entry.frequency == "standing" and year != YEARS[0] + index % 7:
                    chance = 0.0
                if rng.random() >= chance:
                    continue
                for n in range(rng.randint(1, 3)):
                    rows.append(
                        Item(
                            fonds=fonds,
                            creating_unit_id=village.pk,
                            custodian_unit_id=village.pk,
                            category_id=categories[entry.category_code],
                            retention_id=retentions[entry.retention_code],
                            year=year,
                            title=f"{entry.title}（{year}年第{n + 1}件）",
                            status=RecordStatus.FILED,
                            catalogue_entry=entry,
                        )
                    )
        with transaction.atomic():
            Item.objects.bulk_create(rows, batch_size=5000)
        items += len(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE holdings_item")
        cursor.execute("ANALYZE villages_catalogueentry")
    done = {"villages": VILLAGES, "years": [YEARS[0], YEARS[-1]], "items": items}
    generate.meta_set(META_KEY, done)
    return done


def _officer() -> Any:
    from django.contrib.auth import get_user_model

    from villages import services as unit_services
    from villages.models import RoleAssignment, Unit

    user, _created = get_user_model().objects.get_or_create(username="bench_completeness_officer")
    township = Unit.objects.get(code=TOWNSHIP[0])
    if not RoleAssignment.objects.filter(user=user, role="township_officer", unit=township).exists():
        unit_services.role_assignment_create(actor=SYSTEM, user=user, role="township_officer", unit=township)
    return user


def run() -> str:
    from archives_site.tokens import api_token_issue
    from holdings.models import Item
    from villages.models import Unit

    data = ensure_data()
    county_user = generate.ensure_users()["county"][0]
    officer = _officer()
    _token, key = api_token_issue(user=officer)
    _token, county_key = api_token_issue(user=county_user)
    township = Unit.objects.get(code=TOWNSHIP[0])
    county = Unit.objects.get(code=generate.COUNTY[0])
    html_officer, html_county = Client(), Client()
    html_officer.force_login(officer)
    html_county.force_login(county_user)
    api_officer = Client(HTTP_AUTHORIZATION=f"Token {key}")
    api_county = Client(HTTP_AUTHORIZATION=f"Token {county_key}")
    rng = random.Random(generate.SEED)
    years = [rng.choice(list(YEARS)) for _ in range(SAMPLES)]
    page = reverse("holdings:completeness")
    village = Unit.objects.get(code=f"{TOWNSHIP[0]}-V07")
    detail_ids = list(Item.objects.filter(fonds__code="C907").values_list("id", flat=True)[:SAMPLES]) or [1]

    cases: list[tuple[str, Callable[[int], Any], float | None]] = [
        (
            "baseline: item detail page",
            lambda i: html_county.get(reverse("holdings:item-detail", args=[detail_ids[i % len(detail_ids)]])),
            None,
        ),
        (
            "township page, 90 villages (township officer)",
            lambda i: html_officer.get(page, {"unit": township.pk, "year": years[i]}),
            200,
        ),
        (
            "township API, 90 villages (township officer)",
            lambda i: api_officer.get("/api/v1/completeness/", {"unit": township.pk, "year": years[i]}),
            200,
        ),
        (
            "village page, 10 years (township officer)",
            lambda i: html_officer.get(page, {"unit": village.pk, "year": years[i]}),
            200,
        ),
        (
            "county overview page (county admin)",
            lambda i: html_county.get(page, {"unit": county.pk, "year": years[i]}),
            500,
        ),
        (
            "county API, every village (county admin)",
            lambda i: api_county.get("/api/v1/completeness/", {"unit": county.pk, "year": years[i]}),
            500,
        ),
    ]
    lines = [
        "### Filing completeness",
        "",
        f"Township 归档镇: {data['villages']} villages × the default template × {data['years'][0]}–{data['years'][1]}, "
        f"{data['items']:,} items filed under catalogue entries, beside the generated catalogue. {SAMPLES} samples "
        "per case (different years), each the median of 3 runs after 1 warm-up. Milliseconds; the ratio is p95 "
        "over the baseline's p95 in this run.",
        "",
        "| case | p50 | p95 | max | × baseline | queries per request | target |",
        "|---|---|---|---|---|---|---|",
    ]
    baseline = None
    for name, fetch, target in cases:
        samples, query_counts = [], set()
        for i in range(SAMPLES):
            ms, _response = timed(lambda i=i, fetch=fetch: _ok(fetch(i)))
            samples.append(ms)
            with CaptureQueriesContext(connection) as captured:
                _ok(fetch(i))
            query_counts.add(len(captured))
        p95 = percentile(samples, 95)
        baseline = baseline or p95
        counts = "–".join(str(c) for c in sorted({min(query_counts), max(query_counts)}))
        verdict = "—" if target is None else (f"≤ {target} ms: met" if p95 <= target else f"≤ {target} ms: **MISSED**")
        lines.append(
            f"| {name} | {fmt_ms(percentile(samples, 50))} | {fmt_ms(p95)} | {fmt_ms(max(samples))} | "
            f"{p95 / baseline:.1f} | {counts} | {verdict} |"
        )
        print(lines[-1], flush=True)
    return "\n".join(lines) + "\n"
