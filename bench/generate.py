"""A seeded generator of realistic county catalogue items, loaded with COPY (fast, cached).

Titles come from the demo county's templates (holdings.demo) over 20 villages, 2 townships and
the archive's own fonds; names include rare characters (堃 镕 珺 〇); 文号 look like
``青石镇政〔2015〕12号``; reference codes follow the DA/T 22 form with gap-free numbers per class.
"""

from __future__ import annotations

import io
import random
import time
from collections import defaultdict
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from archives_site.bulk import indexes_suspended
from holdings import codes, demo, services
from holdings.models import Category, Fonds, Item, RetentionPeriod
from villages import services as unit_services
from villages.models import Unit, UnitKind

VILLAGES = [
    "青石",
    "石门",
    "上坞",
    "下坞",
    "龙潭",
    "杨家",
    "朱家埠",
    "大坪",
    "竹园",
    "枫林",
    "茶山",
    "溪口",
    "岭下",
    "后塘",
    "西河",
    "梅溪",
    "蛟潭",
    "桃源",
    "杏花",
    "堃山",
]
DOC_PREFIXES = ["镇政", "村委", "镇委", "ZF", "村发"]
NOTES = ["", "", "", "", "原件存镇档案室", "复印件", "附照片3张", "含附件", "http://example.gov.cn/doc"]
COPY_CHUNK = 50_000


def ensure_network() -> tuple[Unit, list[Fonds]]:
    """The bench county: county → archive, 2 townships → 20 villages; one fonds per village."""
    county = Unit.objects.filter(code="BENCH").first() or unit_services.unit_create(
        actor=None, code="BENCH", name="基准区", kind=UnitKind.COUNTY, parent=None
    )
    archive = Unit.objects.filter(code="BENCH-DAG").first() or unit_services.unit_create(
        actor=None, code="BENCH-DAG", name="基准区档案馆", kind=UnitKind.ARCHIVE, parent=county
    )
    fonds = [
        Fonds.objects.filter(code="J900").first()
        or services.fonds_create(
            actor=None, code="J900", name="基准区档案馆", creating_unit=archive, custodian_unit=archive
        )
    ]
    for t in range(2):
        township = Unit.objects.filter(code=f"BENCH-T{t}").first() or unit_services.unit_create(
            actor=None, code=f"BENCH-T{t}", name=f"基准{'东西'[t]}镇", kind=UnitKind.TOWNSHIP, parent=county
        )
        for v in range(10):
            name = f"{VILLAGES[t * 10 + v]}村"
            village = Unit.objects.filter(code=f"BENCH-T{t}-V{v}").first() or unit_services.unit_create(
                actor=None, code=f"BENCH-T{t}-V{v}", name=name, kind=UnitKind.VILLAGE, parent=township
            )
            code = f"C9{t}{v}"
            fonds.append(
                Fonds.objects.filter(code=code).first()
                or services.fonds_create(
                    actor=None, code=code, name=f"{name}民委员会", creating_unit=village, custodian_unit=village
                )
            )
    return county, fonds


def item_rows(rows: int, fonds: list[Fonds], seed: int = 20261121) -> Iterator[Item]:
    """Unsaved items, oldest first, numbered per class like a real catalogue."""
    rng = random.Random(seed)
    ws = Category.objects.get(code="WS")
    periods = list(RetentionPeriod.objects.filter(code__in=["Y", "D30", "D10"]).order_by("sort_order"))
    templates = {f.pk: codes.template_for(f, ws.pk) for f in fonds}
    numbers: dict[tuple, int] = defaultdict(int)
    now = timezone.now()
    years = list(range(1980, 2026))
    for index in range(rows):
        f = fonds[0] if index % 5 == 0 else fonds[1 + index % (len(fonds) - 1)]
        year = years[index * len(years) // rows]  # ids grow with the year, as in a real archive
        retention = periods[rng.randrange(3)]
        org = "BGS" if f.code.startswith("J") else ""
        numbers[(f.pk, year, retention.pk, org)] += 1
        number = numbers[(f.pk, year, retention.pk, org)]
        place = f.name.removesuffix("民委员会")
        title = rng.choice(demo.TITLES if f.code.startswith("C") else demo.GOV_TITLES).format(
            place=place,
            year=year,
            next_year=year + 1,
            topic=rng.choice(demo.TOPICS),
            project=rng.choice(demo.PROJECTS),
            person=rng.choice(demo.PEOPLE),
            n=rng.randint(1, 6),
        )
        prefix = rng.choice(DOC_PREFIXES)
        doc = f"{place[:2]}{prefix}〔{year}〕{number}号" if prefix != "ZF" else f"ZF[{year}]{number}"
        item = Item(
            fonds_id=f.pk,
            category_id=ws.pk,
            year=year,
            retention_id=retention.pk,
            org_code=org,
            number=number,
            title=title,
            responsible=f.name,
            doc_number=doc if rng.random() < 0.7 else "",
            date=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
            page_count=rng.randint(1, 40),
            note=rng.choice(NOTES),
            creating_unit_id=f.creating_unit_id,
            custodian_unit_id=f.custodian_unit_id,
            status="filed",
            filed_at=now,
            created_at=now,
            updated_at=now,
        )
        item.reference_code = codes.build_code(
            templates[f.pk], fonds=f.code, category=ws.code, year=year, retention=retention.code, org=org, number=number
        )
        item.search_text = services.search_text_for(item)
        yield item


def copy_columns() -> list[str]:
    return [f.column for f in Item._meta.concrete_fields if f.column != "id"]


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_items(items: Iterator[Item], table: str = "holdings_item") -> int:
    """COPY the items into ``table`` in chunks; returns how many rows went in."""
    fields = [f for f in Item._meta.concrete_fields if f.column != "id"]
    sql = f"COPY {table} ({', '.join(f.column for f in fields)}) FROM STDIN"
    count, buffer = 0, io.StringIO()
    with connection.cursor() as cursor:
        for item in items:
            buffer.write("\t".join(_copy_text(getattr(item, f.attname)) for f in fields) + "\n")
            count += 1
            if count % COPY_CHUNK == 0:
                buffer.seek(0)
                cursor.cursor.copy_expert(sql, buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.cursor.copy_expert(sql, buffer)
    return count


def load(rows: int) -> dict[str, float]:
    """Empty the item table and load ``rows`` generated items; indexes rebuilt after the COPY."""
    timings: dict[str, float] = {}
    _county, fonds = ensure_network()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE holdings_item CASCADE")
        cursor.execute("DELETE FROM holdings_numbercounter")
    with transaction.atomic(), indexes_suspended("holdings_item"):
        start = time.perf_counter()
        copied = copy_items(item_rows(rows, fonds))
        timings["generate_and_copy_s"] = time.perf_counter() - start
        start = time.perf_counter()
    timings["indexes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE holdings_item")
    timings["vacuum_analyze_s"] = time.perf_counter() - start
    timings["rows"] = copied
    return timings
