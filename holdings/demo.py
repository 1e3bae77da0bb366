"""Demo holdings for the demo county: fonds of the archive, the townships and several villages,
with some tens of thousands of items whose titles read like real records. Idempotent."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from archives_site.scoping import SYSTEM
from villages import demo as village_demo
from villages.models import Unit

from . import codes, services
from .models import Category, Fonds, Item, OpenStatus, RecordStatus, RetentionPeriod, Volume

# Topics and the years they belong to (a 1985 file on 垃圾分类 would read false to an archivist).
TOPICS: list[tuple[str, int, int]] = [
    ("村务公开", 1998, 2030),
    ("土地承包经营权确权登记", 2013, 2030),
    ("森林防火", 1980, 2030),
    ("垃圾分类", 2018, 2030),
    ("美丽乡村建设", 2013, 2030),
    ("农村人居环境整治", 2018, 2030),
    ("防汛防台", 1990, 2030),
    ("村规民约修订", 1998, 2030),
    ("村集体经济发展", 2000, 2030),
    ("困难群众救助", 1995, 2030),
    ("征兵", 1980, 2030),
    ("安全生产大检查", 1990, 2030),
    ("家庭联产承包责任制", 1980, 1989),
    ("计划生育", 1980, 2015),
    ("乡镇企业", 1984, 2000),
    ("爱国卫生运动", 1980, 1995),
    ("植树造林", 1980, 2000),
    ("民兵整组", 1980, 2000),
    ("第三次全国人口普查", 1982, 1983),
    ("土地详查", 1984, 1996),
    ("普及法律常识", 1986, 1995),
]
# The documents a volume of one topic holds, in the order a year's work produces them.
VOLUME_ITEM_TITLES = [
    "关于印发{year}年{topic}工作方案的通知",
    "关于成立{topic}工作领导小组的通知",
    "关于开展{topic}专项检查的通知",
    "{place}{topic}工作会议纪要",
    "关于{topic}工作进展情况的报告",
    "关于{topic}工作中有关问题的请示",
    "关于{topic}工作的情况通报",
    "{place}{year}年{topic}工作总结",
]
PROJECTS = ["村道硬化工程", "文化礼堂建设", "饮用水改造工程", "危旧房改造", "农田水利设施修缮", "老年活动中心建设"]
PEOPLE = ["张伟", "王芳", "李秀英", "陈镕", "周珺", "孙堃", "刘建国", "朱国强", "黄丽华", "吴〇生", "郑海燕", "杨国栋"]
TITLES = [
    "关于{place}{year}年度{topic}工作的通知",
    "关于做好{topic}工作的实施意见",
    "{place}村民代表会议记录（{year}年第{n}次）",
    "关于申请{place}{project}补助资金的请示",
    "关于同意{place}{project}立项的批复",
    "{place}{year}年度村级财务收支公开表",
    "关于{person}同志任职的通知",
    "{place}土地承包经营权登记簿（{person}户）",
    "{place}党支部换届选举工作报告",
    "{place}宅基地审批表（{person}）",
    "{place}{year}年度最低生活保障对象名单",
    "关于{place}{topic}工作情况的报告",
    "{place}{year}年工作总结",
    "{place}{project}施工合同",
]
GOV_TITLES = [
    "关于印发{year}年{topic}工作方案的通知",
    "关于{topic}工作情况的报告",
    "关于下达{year}年度{project}资金的通知",
    "{place}{year}年工作总结和{next_year}年工作思路",
    "关于{person}等同志职务任免的通知",
    "{place}党组会议纪要（{year}年第{n}期）",
    "关于开展{topic}专项检查的通知",
    "关于同意{project}立项的批复",
]
PHOTO_TITLES = ["{place}{topic}活动照片（{year}年）", "{place}{project}竣工照片", "{person}同志在{place}调研照片"]
RETENTION_WEIGHTS = {"Y": 3, "D30": 4, "D10": 3}


def topics_of(year: int) -> list[str]:
    """The topics that belong to ``year``."""
    return [topic for topic, first, last in TOPICS if first <= year <= last]


def _titles(rng: random.Random, place: str, year: int, templates: list[str]) -> Iterator[str]:
    topics = topics_of(year)
    while True:
        yield rng.choice(templates).format(
            next_year=year + 1,
            place=place,
            year=year,
            topic=rng.choice(topics),
            project=rng.choice(PROJECTS),
            person=rng.choice(PEOPLE),
            n=rng.randint(1, 6),
        )


def _fonds_plan() -> list[tuple[str, str, str, str, list[str], int, range]]:
    """(fonds code, name, creating unit code, custodian code, org codes, items, years)."""
    county = village_demo.COUNTY[0]
    plan = [
        (f"J00{i}", name, f"{county}D{i:02d}", village_demo.ARCHIVE[0], ["BGS", "ZZ", "CW"], 4000, range(1990, 2016))
        for i, name in enumerate(["区委办公室", "区政府办公室", "区发展和改革局", "区财政局"], start=1)
    ]
    for index, (suffix, name, _kind, _custody, _villages) in enumerate(village_demo.TOWNSHIPS, start=1):
        plan.append(
            (f"Z10{index}", f"{name}", f"{county}{suffix}", f"{county}{suffix}", ["BGS", "DZ"], 1500, range(2000, 2026))
        )
    for suffix, _name, _kind, custody, _villages in village_demo.TOWNSHIPS[2:6]:
        for number in (1, 2, 3):
            code = f"{county}{suffix}{number:03d}"
            keeper = f"{county}{suffix}" if custody != "own_room" else code
            plan.append((f"C{suffix}{number}", "", code, keeper, [""], 600, range(2008, 2026)))
    return plan


@transaction.atomic
def seed_holdings(*, seed: int = 2026) -> dict[str, int]:
    """Create the demo fonds and their items (skips fonds that already have items)."""
    rng = random.Random(seed)
    ws, photos = Category.objects.get(code="WS"), Category.objects.get(code="ZP")
    periods = {p.code: p for p in RetentionPeriod.objects.filter(code__in=RETENTION_WEIGHTS)}
    for code, name, creator_code, keeper_code, orgs, count, years in _fonds_plan():
        creator, keeper = Unit.objects.get(code=creator_code), Unit.objects.get(code=keeper_code)
        fonds = Fonds.objects.filter(code=code).first() or services.fonds_create(
            actor=SYSTEM,
            code=code,
            name=name or f"{creator.name}民委员会",
            creating_unit=creator,
            custodian_unit=keeper,
            start_year=min(years.start, VOLUME_YEARS.start) if code in VOLUME_FONDS else years.start,
            end_year=years.stop - 1,
        )
        if code in VOLUME_FONDS and not Volume.objects.filter(fonds=fonds).exists():
            _volumes(rng, fonds, ws, periods)
        if Item.objects.filter(fonds=fonds, volume__isnull=True).exists():
            continue
        _bulk_items(rng, fonds, creator, ws, periods, orgs, count, years)
        _bulk_items(rng, fonds, creator, photos, periods, [""], count // 10, years, PHOTO_TITLES)
    return {"fonds": Fonds.objects.count(), "volumes": Volume.objects.count(), "items": Item.objects.count()}


# Fonds whose older records (before filing by item) are arranged in volumes (案卷), and those years.
VOLUME_FONDS = ("J001", "J002")
VOLUME_YEARS = range(1980, 1990)


def _volumes(rng: random.Random, fonds: Fonds, category: Category, periods: dict[str, RetentionPeriod]) -> None:
    """A few volumes a year, each on one topic and holding that topic's documents (卷内文件) in
    date order; the volume's 起止日期 are its first and last document's. Filed through the
    services (numbers, codes)."""
    for year in VOLUME_YEARS:
        topics = rng.sample(topics_of(year), 3)
        for retention_code, topic in zip(("Y", "D30", "D10"), topics, strict=True):
            count = rng.randint(3, 6)
            titles = sorted(rng.sample(range(len(VOLUME_ITEM_TITLES)), count))  # a year's work, in order
            days = sorted(rng.sample(range(1, 365), count))
            dates = [(date(year, 1, 1) + timedelta(days=day - 1)).strftime("%Y%m%d") for day in days]
            volume = services.volume_create(
                actor=SYSTEM,
                fonds=fonds,
                category=category,
                year=year,
                retention=periods[retention_code],
                org_code="BGS",
                title=f"{fonds.name}{year}年{topic}工作文件材料",
                responsible=fonds.name,
                start_date=dates[0],
                end_date=dates[-1],
                open_status=OpenStatus.OPEN,
                box=f"{year - VOLUME_YEARS.start + 1:04d}",
            )
            for index, when in zip(titles, dates, strict=True):
                services.item_create(
                    actor=SYSTEM,
                    fonds=fonds,
                    category=category,
                    year=year,
                    retention=periods[retention_code],
                    org_code="BGS",
                    volume=volume,
                    title=VOLUME_ITEM_TITLES[index].format(place=fonds.name, year=year, topic=topic),
                    responsible=fonds.name,
                    date=when,
                    page_count=rng.randint(1, 12),
                    open_status=OpenStatus.OPEN,
                )


# 发文字号 prefixes of the district offices (青溪区: 青); townships write e.g. 青石镇政, villages 文昌村委.
DOC_ISSUERS = {"J001": "青区委办", "J002": "青政办", "J003": "青发改", "J004": "青财"}


def _issuer(fonds: Fonds, creator: Unit) -> str:
    """Who numbers the fonds' documents: 青政办, 青石镇政, 城关街道办, 文昌村委."""
    if fonds.code in DOC_ISSUERS:
        return DOC_ISSUERS[fonds.code]
    name = creator.name
    if creator.is_village:
        return f"{name[:-1]}村委" if name.endswith("村") else f"{name}居委"
    return f"{name}办" if name.endswith("街道") else f"{name}政"


def _doc_number(issuer: str, year: int, series: dict[int, int]) -> str:
    """The next 发文字号 of an issuer's yearly series, e.g. 青政办〔1995〕12号."""
    series[year] += 1
    return f"{issuer}〔{year}〕{series[year]}号"


def _bulk_items(rng, fonds, creator, category, periods, orgs, count, years, templates=None) -> None:
    place = creator.name
    templates = templates or (TITLES if creator.is_village else GOV_TITLES)
    template = codes.template_for(fonds, category.pk)
    numbers: dict[tuple, int] = defaultdict(int)
    doc_numbers: dict[int, int] = defaultdict(int)
    issuer = _issuer(fonds, creator)
    now = timezone.now()
    batch: list[Item] = []
    per_year = max(1, count // len(years))
    for year in years:
        titles = _titles(rng, place, year, templates)
        for _ in range(per_year):
            retention = periods[rng.choices(list(RETENTION_WEIGHTS), weights=list(RETENTION_WEIGHTS.values()))[0]]
            org = rng.choice(orgs)
            key = (year, retention.code, org)
            numbers[key] += 1
            item = Item(
                fonds=fonds,
                category=category,
                year=year,
                retention=retention,
                org_code=org,
                number=numbers[key],
                title=next(titles),
                responsible=fonds.name,
                doc_number=_doc_number(issuer, year, doc_numbers) if rng.random() < 0.6 else "",
                date=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                page_count=rng.randint(1, 30),
                open_status=OpenStatus.OPEN if year <= 2000 else OpenStatus.UNREVIEWED,
                status=RecordStatus.FILED,
                filed_at=now,
                creating_unit_id=fonds.creating_unit_id,
                custodian_unit_id=fonds.custodian_unit_id,
                box=f"{numbers[key] // 20 + 1:04d}",
            )
            item.reference_code = codes.build_code(
                template,
                fonds=fonds.code,
                category=category.code,
                year=year,
                retention=retention.code,
                org=org,
                number=item.number,
            )
            item.search_text = services.search_text_for(item)
            batch.append(item)
            if len(batch) >= 2000:
                Item.objects.bulk_create(batch)
                batch = []
    Item.objects.bulk_create(batch)
    for (year, retention_code, org), last in numbers.items():
        probe = Item(fonds=fonds, category=category, year=year, retention=periods[retention_code], org_code=org)
        services.raise_counter(codes.class_key(probe), last)


# How much of its catalogue each village of the officer's township files (the heat-map's story:
# some villages complete, some far behind); the other townships' villages with fonds take turns.
DILIGENCE = (1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.15, 0.1, 0.05, 0.0)
FILING_YEARS = range(2021, 2026)


@transaction.atomic
def seed_filing(*, seed: int = 2026) -> dict[str, int]:
    """Items filed under the villages' catalogue entries, unevenly: every village of the demo
    township (青石镇) gets its fonds and files from nearly all to nothing; the villages of other
    townships that have fonds file some. Skips villages that already filed under their catalogue."""
    from villages.models import VillageCatalogue

    rng = random.Random(f"{seed}:filing")
    county = village_demo.COUNTY[0]
    township = Unit.objects.get(code=f"{county}101")
    for unit in Unit.objects.filter(parent=township).order_by("code"):
        if not Fonds.objects.filter(creating_unit=unit).exists():
            services.fonds_create(
                actor=SYSTEM,
                code=f"C{unit.code[-6:]}",
                name=f"{unit.name}民委员会",
                creating_unit=unit,
                custodian_unit=unit,
            )
    categories = {c.code: c for c in Category.objects.all()}
    periods = {p.code: p for p in RetentionPeriod.objects.all()}
    now = timezone.now()
    filed = 0
    catalogues = VillageCatalogue.objects.filter(unit__created_fonds__isnull=False).distinct().order_by("unit__code")
    for position, catalogue in enumerate(catalogues.select_related("unit")):
        if Item.objects.filter(catalogue_entry__catalogue=catalogue).exists():
            continue
        fonds = Fonds.objects.filter(creating_unit=catalogue.unit).order_by("code").first()
        diligence = DILIGENCE[position % len(DILIGENCE)]
        batch = []
        for entry in catalogue.entries.filter(retired_at__isnull=True, applicable=True).exclude(category_code=""):
            for year in FILING_YEARS:
                chance = diligence * (0.4 if entry.frequency == "per_event" else 1.0)
                if entry.frequency == "standing" and year != FILING_YEARS.start:
                    chance = 0.0
                if rng.random() >= chance:
                    continue
                item = Item(
                    fonds=fonds,
                    category=categories[entry.category_code],
                    retention=periods[entry.retention_code],
                    year=year,
                    title=f"{catalogue.unit.name}{year}年{entry.title}",
                    responsible=fonds.name,
                    date=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
                    page_count=rng.randint(1, 12),
                    open_status=OpenStatus.UNREVIEWED,
                    status=RecordStatus.FILED,
                    filed_at=now,
                    creating_unit_id=fonds.creating_unit_id,
                    custodian_unit_id=fonds.custodian_unit_id,
                    catalogue_entry=entry,
                )
                item.number = services.next_number(codes.class_key(item))
                item.reference_code = codes.code_for(item)
                item.search_text = services.search_text_for(item)
                batch.append(item)
        Item.objects.bulk_create(batch)
        filed += len(batch)
    return {"filed": filed}


@transaction.atomic
def seed_pushes(*, seed: int = 2026) -> dict[str, int]:
    """The archive keeps 青石镇's land-contract records (transferred in) and has pushed the first
    village's open ones down to it: the village finds them in its own search, marked as pushed."""
    from .models import RecordPush
    from .pushes import push_create

    if RecordPush.objects.exists():
        return {"pushes": RecordPush.objects.count()}
    rng = random.Random(f"{seed}:pushes")
    county = village_demo.COUNTY[0]
    township = Unit.objects.get(code=f"{county}101")
    archive = Unit.objects.get(code=village_demo.ARCHIVE[0])
    village = Unit.objects.filter(parent=township).order_by("code").first()
    fonds = Fonds.objects.filter(code="A101").first() or services.fonds_create(
        actor=SYSTEM,
        code="A101",
        name=f"{township.name}农村土地承包档案",
        creating_unit=township,
        custodian_unit=archive,
        start_year=1998,
        end_year=2008,
    )
    land = Category.objects.get(code="WS")
    period = RetentionPeriod.objects.get(code="Y")
    for year in range(1998, 2009):
        for group in range(1, 4):
            services.item_create(
                actor=SYSTEM,
                fonds=fonds,
                category=land,
                retention=period,
                year=year,
                org_code="NB",
                title=f"{village.name}第{group}村民小组土地承包合同（{rng.choice(PEOPLE)}等户）",
                responsible=f"{township.name}人民政府",
                open_status=OpenStatus.OPEN,
            )
    push_create(
        actor=SYSTEM,
        fonds=fonds,
        target=village,
        title=f"{village.name}土地承包档案 1998–2008",
        note="供村民查阅土地承包情况",
    )
    return {"pushes": RecordPush.objects.count()}
