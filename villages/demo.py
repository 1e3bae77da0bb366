"""The demo county (青溪区, fictional): 1 archive, 6 townships/streets, 90 villages/communities,
12 departments, and one demo login per role. Idempotent: running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from archives_site.scoping import SYSTEM

from . import services
from .models import CustodyMode, RoleAssignment, Unit, UnitKind
from .roles import Role

COUNTY = ("330199", "青溪区")
ARCHIVE = ("330199DAG", "青溪区档案馆")

# (code suffix, name, kind, custody mode of its villages, 15 village/community name stems)
TOWNSHIPS: list[tuple[str, str, str, str, str]] = [
    (
        "001",
        "城关街道",
        UnitKind.STREET,
        CustodyMode.OWN_ROOM,
        "文昌 钟楼 北门 南门 西关 东关 解放路 人民路 县前 学前 新华 桂花 凤凰 江滨 锦绣",
    ),
    (
        "002",
        "东湖街道",
        UnitKind.STREET,
        CustodyMode.OWN_ROOM,
        "东湖 湖滨 柳岸 荷花 望湖 金湖 映月 长堤 湖心 新湖 渔港 湖光 翠苑 春晖 聚贤",
    ),
    (
        "101",
        "青石镇",
        UnitKind.TOWNSHIP,
        CustodyMode.OWN_ROOM,
        "青石 石门 上坞 下坞 龙潭 杨家 朱家埠 大坪 竹园 枫林 茶山 溪口 岭下 后塘 西河",
    ),
    (
        "102",
        "白沙镇",
        UnitKind.TOWNSHIP,
        CustodyMode.OWN_ROOM,
        "白沙 沙洲 渡头 船埠 芦苇 新港 塘头 长乐 永安 东岙 三里 五里 周家 陈家桥 林场",
    ),
    (
        "103",
        "梅溪镇",
        UnitKind.TOWNSHIP,
        CustodyMode.TOWNSHIP,
        "梅溪 梅岭 双溪 蛟潭 金竹 桃源 杏花 麻车 牌楼 花园 庙前 官塘 堃山 上溪 下溪",
    ),
    (
        "104",
        "双桥镇",
        UnitKind.TOWNSHIP,
        CustodyMode.ENTRUSTED,
        "双桥 横街 老街 水碓 石板 葛岭 坑口 宅基 新屋 大桥 凉亭 田畈 外洋 里洋 黄泥岗",
    ),
]

DEPARTMENTS = [
    "区委办公室",
    "区政府办公室",
    "区发展和改革局",
    "区财政局",
    "区民政局",
    "区人力资源和社会保障局",
    "区自然资源和规划局",
    "区住房和城乡建设局",
    "区农业农村局",
    "区卫生健康局",
    "区教育局",
    "区司法局",
]

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - public by design, printed by make run


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: Role
    unit_code: str


def _village_code(township_suffix: str, index: int) -> str:
    return f"{COUNTY[0]}{township_suffix}{index:03d}"


DEMO_LOGINS = [
    DemoLogin("admin", "赵志刚", Role.COUNTY_ADMIN, COUNTY[0]),
    DemoLogin("archivist", "王建国", Role.ARCHIVIST, ARCHIVE[0]),
    DemoLogin("township", "李秀英", Role.TOWNSHIP_OFFICER, f"{COUNTY[0]}101"),
    DemoLogin("village", "张伟", Role.VILLAGE_ARCHIVIST, _village_code("101", 1)),
    DemoLogin("village2", "陈静", Role.VILLAGE_ARCHIVIST, _village_code("101", 2)),
    DemoLogin("village3", "周珺", Role.VILLAGE_ARCHIVIST, _village_code("102", 1)),
    DemoLogin("lookup", "刘芳", Role.LOOKUP_OPERATOR, _village_code("001", 1)),
    DemoLogin("inspector", "孙堃", Role.INSPECTOR, COUNTY[0]),
    DemoLogin("external", "政务数据平台", Role.EXTERNAL_SYSTEM, COUNTY[0]),
]


def _ensure_unit(code: str, name: str, kind: str, parent: Unit | None, **extra: str) -> Unit:
    existing = Unit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return services.unit_create(actor=SYSTEM, code=code, name=name, kind=kind, parent=parent, **extra)


@transaction.atomic
def seed_network() -> dict[str, int]:
    """Create the demo county's units and demo users; returns how many of each now exist."""
    county = _ensure_unit(COUNTY[0], COUNTY[1], UnitKind.COUNTY, None, address="青溪区府前路1号")
    _ensure_unit(ARCHIVE[0], ARCHIVE[1], UnitKind.ARCHIVE, county, address="青溪区文昌路18号")
    for suffix, name, kind, custody, villages in TOWNSHIPS:
        township = _ensure_unit(f"{COUNTY[0]}{suffix}", name, kind, county)
        child_kind = UnitKind.COMMUNITY if kind == UnitKind.STREET else UnitKind.VILLAGE
        for index, stem in enumerate(villages.split(), start=1):
            label = f"{stem}社区" if child_kind == UnitKind.COMMUNITY else f"{stem}村"
            _ensure_unit(_village_code(suffix, index), label, child_kind, township, custody_mode=custody)
    for index, name in enumerate(DEPARTMENTS, start=1):
        _ensure_unit(f"{COUNTY[0]}D{index:02d}", name, UnitKind.DEPARTMENT, county)

    User = get_user_model()
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(username=login.username)
        if created:
            user.first_name = login.full_name
            user.is_staff = login.role == Role.COUNTY_ADMIN
            user.is_superuser = login.role == Role.COUNTY_ADMIN
            user.set_password(DEMO_PASSWORD)
            user.save()
        unit = Unit.objects.get(code=login.unit_code)
        if not RoleAssignment.objects.filter(user=user, role=login.role, unit=unit).exists():
            services.role_assignment_create(actor=SYSTEM, user=user, role=login.role, unit=unit, note="demo")
    return {"units": Unit.objects.count(), "users": User.objects.count()}


# Local entries (一村一品) of the first villages of the township of the demo logins: (village number, code, title, category).
LOCAL_ENTRIES = (
    (1, "K91", "农民画创作与展览", "ZP"),
    (2, "K91", "船鼓文化传承", "LX"),
    (3, "G91", "“老娘舅”调解工作记录", "WS"),
    (4, "K91", "红色档案征集", "WS"),
)


def seed_catalogues() -> dict[str, int]:
    """The county's reference template from the default data file, published, and a filing
    catalogue derived for every village and community, a few with local entries. Idempotent."""
    from . import catalogues
    from .models import VILLAGE_KINDS, CatalogueTemplate, VillageCatalogue

    county = Unit.objects.get(code=COUNTY[0])
    template = CatalogueTemplate.objects.filter(unit=county).first()
    if template is None:
        template = catalogues.template_load_default(actor=SYSTEM, county=county)
    if not template.is_published:
        catalogues.template_publish(actor=SYSTEM, template=template)
    for unit in Unit.objects.filter(kind__in=VILLAGE_KINDS, is_active=True):
        catalogues.catalogue_derive(actor=SYSTEM, unit=unit)
    suffix = "101"  # the township whose officer and village archivists are demo logins
    for index, code, title, category in LOCAL_ENTRIES:
        catalogue = VillageCatalogue.objects.get(unit__code=_village_code(suffix, index))
        if not catalogue.entries.filter(code=code).exists():
            catalogues.catalogue_entry_save_local(
                actor=SYSTEM,
                catalogue=catalogue,
                parent=catalogue.entries.filter(code=code[0], parent__isnull=True).first(),
                code=code,
                title=title,
                category_code=category,
                retention_code="Y",
                frequency="per_event",
            )
    _seed_second_version(county, suffix)
    return {"catalogues": VillageCatalogue.objects.count()}


def _seed_second_version(county: Unit, suffix: str) -> None:
    """Version 2 of the county's template (an entry added, one's scope made clearer), adopted
    by the township's villages but the first (the ``village`` login sees what changes)."""
    from . import catalogues
    from .models import CatalogueTemplate, VillageCatalogue

    if CatalogueTemplate.objects.filter(unit=county, version=2).exists():
        return
    draft = catalogues.template_new_version(actor=SYSTEM, county=county)
    catalogues.template_update(
        actor=SYSTEM, template=draft, note="修订：增加殡葬改革与移风易俗材料；村务、财务公开材料含公开栏照片。"
    )
    catalogues.template_entry_save(
        actor=SYSTEM,
        template=draft,
        parent=draft.entries.get(code="G"),
        code="G06",
        title="殡葬改革与移风易俗材料",
        scope_note="红白理事会章程、移风易俗承诺书、宣传与劝导记录。",
        category_code="WS",
        retention_code="D30",
        frequency="yearly",
    )
    b04 = draft.entries.get(code="B04")
    catalogues.template_entry_save(
        actor=SYSTEM, template=draft, entry=b04, scope_note="公开内容、公开栏照片或记录、群众意见处理。"
    )
    draft = catalogues.template_publish(actor=SYSTEM, template=draft)
    first = _village_code(suffix, 1)
    for catalogue in VillageCatalogue.objects.filter(unit__code__startswith=f"{COUNTY[0]}{suffix}").exclude(
        unit__code=first
    ):
        keys = [difference.key for difference in catalogues.catalogue_differences(catalogue, draft)]
        catalogues.catalogue_adopt(actor=SYSTEM, catalogue=catalogue, keys=keys, template=draft)
