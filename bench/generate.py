"""A seeded generator of a county catalogue (county → 3 townships → 20 villages), loaded fast.

Every village has one fonds (村民委员会), every township one (人民政府); the 梅溪乡 villages are
kept by their township (村档乡管), so their fonds' custodian is the township. Items read like
real village and township records — 题名 from ~40 templates over ~70 topics (some tied to the
years they happened in), ~40 projects and per-village resident names (rare characters 堃 镕 珺
now and then, 〇 for illegible ones); 文号 such as ``青石镇政〔2015〕12号`` with the usual typing
variants (``[ ]``, Latin ``QSZF[2019]``, full-width ``ＱＳＺＦ［２０１９］``); 档号 in the DA/T 22
form ``C102-WS·2015-Y-CWH-0007`` numbered gap-free per class in id order.

Ids grow with time: an item's year drifts from ~1972 (oldest ids) to 2025 (newest) with a
spread of ±8 years, so year-bound terms cluster in id ranges as in a real catalogue.

Loading: the class of every row (fonds, category, year, retention, org → number) is drawn in
the parent first; two forked workers then build the text of half the rows each and stream it
with ``COPY``. The table's indexes and constraints are dropped before and rebuilt after (two
sessions in parallel, ``maintenance_work_mem = 1GB``), then ``VACUUM ANALYZE``. The finished data
set is recorded in ``bench_meta``, so the next run reuses it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import json
import multiprocessing
import queue
import random
import threading
import time
from array import array
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import psycopg2
from django.db import connection, connections

from archives_site.scoping import SYSTEM
from archives_site.search import build_search_text

SEED = 20261121
VERSION = 3  # bump when the generated data changes: a cached data set of another version is rebuilt
CHUNK = 10_000
WORKERS = 2
TABLE = "holdings_item"

# --- the county -------------------------------------------------------------------------------

COUNTY = ("BX", "云溪县")
ARCHIVE = ("BX-DAG", "云溪县档案馆")
# (code, name, short name for 文号, Latin code, custody of its villages, villages)
TOWNSHIPS = [
    ("BX-T1", "青石镇", "青石镇", "QSZF", "own_room", ["青石", "石门", "上坞", "龙潭", "杨家", "竹园", "枫林"]),
    ("BX-T2", "白沙镇", "白沙镇", "BSZF", "own_room", ["白沙", "沙洲", "渡头", "船埠", "永安", "东岙", "周家"]),
    ("BX-T3", "梅溪乡", "梅溪乡", "MXXZF", "township", ["梅溪", "蛟潭", "金竹", "桃源", "堃山", "庙前"]),
]
COUNTY_DOC_PREFIXES = ["云政发", "云政办发", "云委办", "云农", "云民", "云财农"]

# --- vocabulary -------------------------------------------------------------------------------

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜"
    "崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万钱戴严莫孔向常汤康易乔赖文应楼"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红春梅海燕金玉林荣根发福寿生德富贵才忠良水土"
    "松柏青山云飞龙凤祥瑞宝珍美兴旺财喜庆成新立文武斌彬亮辉光远达永长庆利民安康健佳丹晓晨雪雨冰月星宇航浩然"
    "思雅婷琳倩颖欣怡晶莉萍琴凤仙娥菊花桃杏莲根宝木法友仁义礼智信忠孝和顺昌盛德清泉河江湖波涛洪浩瀚鹏程"
)
RARE_GIVEN = list("堃镕珺喆昇玥淼垚犇燚琤祎彧赟昶蕤翀婕曌骉")
HAMLETS = ["上屋", "下屋", "塘坞", "岭脚", "山背", "溪边", "田心", "桥头", "后山", "前洋", "新村", "老屋"]
POSTS = ["村民委员会主任", "村党支部书记", "村务监督委员会主任", "村报账员", "村妇联主席", "村民小组长"]
# (topic, first year, last year) — some only happened in certain years
TOPICS: list[tuple[str, int, int]] = [
    ("土地承包经营权确权登记", 2013, 2019),
    ("土地承包", 1982, 2025),
    ("森林防火", 1970, 2025),
    ("垃圾分类", 2017, 2025),
    ("美丽乡村建设", 2010, 2025),
    ("农村人居环境整治", 2018, 2025),
    ("防汛防台", 1970, 2025),
    ("村规民约修订", 1990, 2025),
    ("村集体经济发展", 1985, 2025),
    ("困难群众救助", 1990, 2025),
    ("征兵", 1956, 2025),
    ("安全生产大检查", 1995, 2025),
    ("计划生育", 1979, 2015),
    ("新型农村合作医疗", 2003, 2016),
    ("农村危房改造", 2008, 2025),
    ("五水共治", 2014, 2025),
    ("三改一拆", 2013, 2017),
    ("平安村创建", 2005, 2025),
    ("党史学习教育", 2021, 2022),
    ("红色党史宣传", 2019, 2025),
    ("第七次全国人口普查", 2020, 2021),
    ("第三次全国农业普查", 2016, 2017),
    ("退耕还林", 1999, 2012),
    ("林权制度改革", 2006, 2012),
    ("河长制", 2016, 2025),
    ("扫黑除恶专项斗争", 2018, 2021),
    ("疫情防控", 2020, 2022),
    ("乡村振兴", 2018, 2025),
    ("文明村创建", 1996, 2025),
    ("殡葬改革", 1997, 2025),
    ("秸秆禁烧", 2012, 2025),
    ("农村公路养护", 2005, 2025),
    ("水库移民后期扶持", 2006, 2025),
    ("残疾人帮扶", 1995, 2025),
    ("高龄老人补贴", 2010, 2025),
    ("民主评议党员", 1989, 2025),
    ("村务监督", 2010, 2025),
    ("集体资产清产核资", 1995, 2020),
    ("股份经济合作社改革", 2014, 2025),
    ("宅基地审批", 1982, 2025),
    ("农房建设管理", 1990, 2025),
    ("生猪养殖污染整治", 2013, 2018),
    ("小流域治理", 1995, 2025),
    ("高标准农田建设", 2011, 2025),
    ("土地整治", 2000, 2025),
    ("移风易俗", 2015, 2025),
    ("消防安全", 1980, 2025),
    ("食品安全", 2009, 2025),
    ("防范电信诈骗", 2016, 2025),
    ("禁毒宣传", 1995, 2025),
    ("普法宣传", 1986, 2025),
    ("征地拆迁", 1995, 2025),
    ("农民专业合作社", 2007, 2025),
    ("茶叶产业发展", 1985, 2025),
    ("来料加工", 1990, 2015),
    ("党员冬训", 1985, 2025),
    ("村级后备干部培养", 2008, 2025),
    ("信访维稳", 1995, 2025),
    ("农业税征收", 1956, 2005),
    ("统购统销", 1956, 1984),
    ("农田基本建设", 1958, 1990),
    ("人民公社生产队分配", 1958, 1983),
    ("爱国卫生运动", 1956, 2025),
    ("老娘舅调解", 2008, 2025),
    ("低保对象动态管理", 2005, 2025),
    ("村级财务审计", 1990, 2025),
    ("全国文明城市创建", 2019, 2025),
    ("新时代文明实践站建设", 2019, 2025),
]
PROJECTS = [
    "村道硬化工程",
    "文化礼堂建设",
    "饮用水改造工程",
    "危旧房改造",
    "农田水利设施修缮",
    "老年活动中心建设",
    "河道清淤工程",
    "路灯安装工程",
    "公厕改造",
    "污水管网铺设",
    "便民服务中心建设",
    "山塘水库加固",
    "村级篮球场建设",
    "机耕路修建",
    "桥梁维修",
    "垃圾中转站建设",
    "防洪堤加固",
    "灌溉渠道修复",
    "光伏发电项目",
    "农村电网改造",
    "村卫生室建设",
    "停车场建设",
    "游步道建设",
    "农产品展销中心建设",
    "茶园道路建设",
    "小学校舍维修",
    "村委会办公楼改造",
    "自来水管网延伸工程",
    "生态公墓建设",
    "文化广场建设",
    "农家书屋建设",
    "景观绿化工程",
    "渡口码头改造",
    "林区防火通道建设",
    "抗旱水源工程",
    "民宿改造提升",
]
EVENTS = ["村民代表大会", "重阳节敬老活动", "文化礼堂启用仪式", "党员活动日", "防汛演练", "村晚", "植树活动", "村运会"]
MATTERS = ["宅基地界址纠纷", "山林权属纠纷", "相邻通行纠纷", "赡养纠纷", "土地承包合同纠纷", "水利灌溉纠纷"]
DEPTS = ["云溪县农业农村局", "云溪县民政局", "云溪县财政局", "云溪县自然资源和规划局", "云溪县水利局"]

VILLAGE_TITLES = [
    (30, "关于{v}{y}年度{topic}工作的通知"),
    (28, "{v}村民代表会议记录"),
    (14, "{v}村民代表会议记录（{y}年第{n}次）"),
    (18, "关于申请{project}补助资金的请示"),
    (10, "关于申请{v}{hamlet}{project}补助资金的请示"),
    (12, "{v}{y}年度村级财务收支公开表"),
    (10, "{v}党支部{y}年度组织生活会会议记录"),
    (12, "{v}土地承包经营权登记簿（{person}户）"),
    (12, "{v}宅基地审批表（{person}）"),
    (8, "关于{person}同志任{post}的通知"),
    (6, "{v}村民委员会换届选举工作报告"),
    (8, "{v}{y}年度最低生活保障对象名单"),
    (10, "{v}{y}年工作总结"),
    (6, "{v}村规民约（{y}年修订）"),
    (8, "{person}与{person2}{matter}调解协议书"),
    (10, "{v}{topic}工作台账"),
    (6, "{v}{hamlet}自然村{project}验收报告"),
    (8, "关于{topic}工作情况的报告"),
    (5, "{v}{y}年度{topic}工作计划"),
    (4, "关于{person}等{n}户{topic}情况的说明"),
]
TOWNSHIP_TITLES = [
    (20, "关于印发{t}{y}年{topic}工作方案的通知"),
    (16, "关于{topic}工作情况的报告"),
    (12, "关于下达{y}年度{project}补助资金的通知"),
    (8, "{t}{y}年工作总结和{y1}年工作思路"),
    (10, "关于{person}等同志职务任免的通知"),
    (12, "{t}党委会议纪要（{y}年第{n}期）"),
    (12, "关于开展{topic}专项检查的通知"),
    (10, "关于同意{v}{project}立项的批复"),
    (10, "关于{v}{y}年度{topic}工作的通知"),
    (6, "{t}人民政府关于{topic}的实施意见"),
    (6, "关于转发{dept}{topic}文件的通知"),
    (5, "{t}{y}年度{topic}考核结果的通报"),
]
PROJECT_TITLES = [
    (10, "{v}{project}施工合同"),
    (8, "{v}{project}竣工验收报告"),
    (6, "{project}设计图纸（{hamlet}段）"),
    (5, "{v}{project}预算书"),
    (4, "关于{v}{project}招标结果的公示"),
]
PHOTO_TITLES = [(10, "{v}{event}照片"), (6, "{person}等参加{event}合影"), (4, "{v}{project}施工现场照片")]
OTHER_TITLES = [(10, "{v}{y}年度{topic}工作录音"), (6, "{v}{event}录像"), (4, "{v}{y}年度村级财务报表数据")]
NOTES = [
    (20, "原件存{v}档案室"),
    (10, "复印件"),
    (10, "附照片{n}张"),
    (12, "{cy}年补录"),
    (8, "页码不连续"),
    (6, "字迹模糊"),
    (5, "与{y1}年文件合并归档"),
    (6, "原件存{t}档案室"),
    (8, "电子版已挂接"),
    (3, "网页截图，原址 http://www.yunxi.gov.cn/art/{y}/{n}.html"),
    (4, "另见{fc}-WS·{y}-Y-{n:04d}"),
]
# categories used for items (most are 文书), with weights
CATEGORIES = [("WS", 86), ("KJ·JJ", 5), ("ZP", 4), ("SJ", 2), ("LY", 1), ("LX", 1), ("SW", 1)]
CARRIERS = {"ZP": "photo", "LY": "audio_video", "LX": "audio_video", "SW": "object", "SJ": "electronic"}
RETENTIONS = [("Y", 3), ("D30", 4), ("D10", 3)]
VILLAGE_ORGS = [("", 6), ("CWH", 2), ("DZB", 2)]  # 机构(问题)代码, with weights
TOWNSHIP_ORGS = [("BGS", 4), ("DWB", 2), ("CZS", 2), ("NYB", 1), ("JSB", 1)]
CN_DIGITS = "〇一二三四五六七八九"
YEAR_FROM, YEAR_TO, YEAR_SPREAD, YEAR_MIN = 1972, 2025, 8.0, 1956

COLUMNS = [
    "id",
    "year",
    "org_code",
    "number",
    "reference_code",
    "original_code",
    "title",
    "responsible",
    "classification",
    "classification_term",
    "page_count",
    "note",
    "open_status",
    "disclosure",
    "carrier",
    "generation",
    "storeroom",
    "cabinet",
    "shelf",
    "layer",
    "box",
    "status",
    "search_text",
    "created_at",
    "updated_at",
    "filed_at",
    "doc_number",
    "date",
    "date_researched",
    "category_id",
    "created_by_id",
    "creating_unit_id",
    "custodian_unit_id",
    "fonds_id",
    "retention_id",
    "volume_id",
]


@dataclass
class FondsPlan:
    fonds_id: int
    code: str
    kind: str  # "village" or "township"
    place: str  # 石门村 / 青石镇
    town: str  # the township's name
    town_short: str
    town_latin: str
    creating_unit_id: int
    custodian_unit_id: int
    weight: float
    people: list[str]
    hamlets: list[str]
    village_names: list[str]  # the township's villages (for township titles)


def _cum(weights: list[float]) -> list[float]:
    return list(accumulate(weights))


def cn_year(year: int) -> str:
    return "".join(CN_DIGITS[int(d)] for d in str(year))


def _names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        surname = SURNAMES[int(len(SURNAMES) * rng.random() ** 1.8)]
        given = "".join(GIVEN[int(len(GIVEN) * rng.random() ** 1.3)] for _ in range(1 if rng.random() < 0.3 else 2))
        roll = rng.random()
        if roll < 0.02:  # a rare character in the given name
            given = given[:-1] + rng.choice(RARE_GIVEN)
        elif roll < 0.024:  # an illegible character, written 〇 in old registers
            given = given[:-1] + "〇"
        name = surname + given
        if name not in names:
            names.append(name)
    return names


# --- the unit network, fonds and bench users (Django) ------------------------------------------


def ensure_network() -> list[FondsPlan]:
    """Units and fonds of the bench county (idempotent), with what the generator needs of them."""
    from holdings import services
    from holdings.models import Fonds
    from villages import services as unit_services
    from villages.models import Unit, UnitKind

    def unit(code: str, name: str, kind: str, parent: Unit | None, custody: str = "") -> Unit:
        found = Unit.objects.filter(code=code).first()
        return found or unit_services.unit_create(
            actor=SYSTEM, code=code, name=name, kind=kind, parent=parent, custody_mode=custody
        )

    def fonds(code: str, name: str, creating: Unit, custodian: Unit) -> Fonds:
        found = Fonds.objects.filter(code=code).first()
        return found or services.fonds_create(
            actor=SYSTEM, code=code, name=name, creating_unit=creating, custodian_unit=custodian, start_year=YEAR_MIN
        )

    county = unit(*COUNTY, UnitKind.COUNTY, None)
    unit(*ARCHIVE, UnitKind.ARCHIVE, county)
    rng = random.Random(f"{SEED}:network")
    plans: list[FondsPlan] = []
    for t_index, (t_code, t_name, t_short, t_latin, custody, villages) in enumerate(TOWNSHIPS, start=1):
        township = unit(t_code, t_name, UnitKind.TOWNSHIP, county)
        f = fonds(f"J10{t_index}", f"{t_name}人民政府", township, township)
        names = [f"{v}村" for v in villages]
        plans.append(
            FondsPlan(
                f.pk, f.code, "township", t_name, t_name, t_short, t_latin, township.pk, township.pk, 2.5,
                _names(random.Random(f"{SEED}:names:{f.code}"), 200), [], names,
            )
        )  # fmt: skip
        for v_index, village_name in enumerate(names, start=1):
            village = unit(f"{t_code}-V{v_index:02d}", village_name, UnitKind.VILLAGE, township, custody)
            custodian = township if custody == "township" else village
            f = fonds(f"C{t_index}{v_index:02d}", f"{village_name}民委员会", village, custodian)
            plans.append(
                FondsPlan(
                    f.pk, f.code, "village", village_name, t_name, t_short, t_latin, village.pk, custodian.pk,
                    rng.uniform(0.6, 1.6), _names(random.Random(f"{SEED}:names:{f.code}"), 600),
                    rng.sample(HAMLETS, 4) + [f"{n}组" for n in range(1, 9)], names,
                )
            )  # fmt: skip
    return plans


BENCH_USERS = {
    # name: (role, unit code)
    "county": ("county_admin", COUNTY[0]),
    "township": ("township_officer", TOWNSHIPS[0][0]),
    "village": ("village_archivist", f"{TOWNSHIPS[0][0]}-V02"),  # 石门村, keeps its own records
}


def ensure_users() -> dict[str, tuple[Any, str]]:
    """The bench logins: name → (user, API token key). Roles are granted like an administrator would."""
    from django.contrib.auth import get_user_model

    from archives_site.tokens import api_token_issue
    from villages import services as unit_services
    from villages.models import RoleAssignment, Unit

    users = {}
    for name, (role, unit_code) in BENCH_USERS.items():
        user, _created = get_user_model().objects.get_or_create(username=f"bench_{role}")
        unit = Unit.objects.get(code=unit_code)
        if not RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
            unit_services.role_assignment_create(actor=SYSTEM, user=user, role=role, unit=unit)
        _token, key = api_token_issue(user=user)
        users[name] = (user, key)
    return users


# --- the class of every row (parent) ------------------------------------------------------------


@dataclass
class Skeleton:
    fonds: array
    category: array
    year: array
    retention: array
    org: array
    number: array


def skeleton(rows: int, plans: list[FondsPlan]) -> Skeleton:
    """Fonds, category, year, retention, org and gap-free number of every row, in id order."""
    s = Skeleton(array("B"), array("B"), array("H"), array("B"), array("B"), array("I"))
    fonds_cum = _cum([p.weight for p in plans])
    cat_cum = _cum([w for _c, w in CATEGORIES])
    ret_cum = _cum([w for _c, w in RETENTIONS])
    org_cums = [_cum([w for _o, w in (VILLAGE_ORGS if p.kind == "village" else TOWNSHIP_ORGS)]) for p in plans]
    counters: dict[tuple[int, int, int, int, int], int] = {}
    span = YEAR_TO - YEAR_FROM
    for chunk in range((rows + CHUNK - 1) // CHUNK):
        rng = random.Random(f"{SEED}:class:{chunk}")
        n = min(CHUNK, rows - chunk * CHUNK)
        fonds = rng.choices(range(len(plans)), cum_weights=fonds_cum, k=n)
        cats = rng.choices(range(len(CATEGORIES)), cum_weights=cat_cum, k=n)
        rets = rng.choices(range(len(RETENTIONS)), cum_weights=ret_cum, k=n)
        gauss, rand = rng.gauss, rng.random
        for i in range(n):
            position = (chunk * CHUNK + i) / rows
            year = round(YEAR_FROM + span * position + gauss(0, YEAR_SPREAD))
            if year > YEAR_TO:
                year = 2 * YEAR_TO - year
            if year < YEAR_MIN:
                year = 2 * YEAR_MIN - year
            f = fonds[i]
            org = _bisect(org_cums[f], rand() * org_cums[f][-1])
            key = (f, cats[i], year, rets[i], org)
            number = counters.get(key, 0) + 1
            counters[key] = number
            s.fonds.append(f)
            s.category.append(cats[i])
            s.year.append(year)
            s.retention.append(rets[i])
            s.org.append(org)
            s.number.append(number)
    return s


# --- the text of every row (workers) ------------------------------------------------------------

_STATE: dict[str, Any] = {}  # set by the parent before forking; read by the workers


def _pick(rng: random.Random, weighted: list[tuple[int, str]], cum: list[float]) -> str:
    return weighted[_bisect(cum, rng.random() * cum[-1])][1]


_bisect = bisect.bisect_left  # the first index whose cumulative weight reaches x


_CUMS = {
    id(table): _cum([w for w, _t in table])
    for table in (VILLAGE_TITLES, TOWNSHIP_TITLES, PROJECT_TITLES, PHOTO_TITLES, OTHER_TITLES, NOTES)
}


def _topic(rng: random.Random, year: int) -> str:
    for _ in range(6):
        topic, first, last = TOPICS[int(len(TOPICS) * rng.random())]
        if first <= year <= last:
            return topic
    return "村务公开"


def _doc_number(rng: random.Random, plan: FondsPlan, year: int) -> str:
    roll = rng.random()
    if plan.kind == "village" and roll < 0.55:
        prefix, top = f"{plan.place}委", 20
    elif roll < 0.85:
        prefix, top = f"{plan.town_short}{rng.choice(('政', '政', '委', '政办', '党'))}", 150
    else:
        prefix, top = rng.choice(COUNTY_DOC_PREFIXES), 200
    n = 1 + int(top * rng.random() ** 1.5)
    form = rng.random()
    if form < 0.86:
        return f"{prefix}〔{year}〕{n}号"
    if form < 0.93:
        return f"{prefix}[{year}]{n}号"
    if form < 0.97:
        return f"{prefix}（{year}）{n}号"
    latin = f"{plan.town_latin}[{year}]{n}号"
    if form < 0.99:
        return latin
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in latin)  # typed full-width


def chunk_text(chunk: int, rows: int) -> str:
    """The COPY text of one chunk of rows (deterministic for the seed, chunk and row count)."""
    plans: list[FondsPlan] = _STATE["plans"]
    s: Skeleton = _STATE["skeleton"]
    cat_ids: list[int] = _STATE["category_ids"]
    ret_ids: list[int] = _STATE["retention_ids"]
    rng = random.Random(f"{SEED}:text:{chunk}")
    rand, choice = rng.random, rng.choice
    start_ts = dt.datetime(2016, 3, 1, 9, tzinfo=dt.UTC).timestamp()
    span_ts = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC).timestamp() - start_ts
    out = io.StringIO()
    first = chunk * CHUNK
    for row in range(first, min(first + CHUNK, rows)):
        plan = plans[s.fonds[row]]
        cat_code = CATEGORIES[s.category[row]][0]
        year = s.year[row]
        ret_code = RETENTIONS[s.retention[row]][0]
        org = (VILLAGE_ORGS if plan.kind == "village" else TOWNSHIP_ORGS)[s.org[row]][0]
        number = s.number[row]
        people = plan.people
        village = plan.place if plan.kind == "village" else choice(plan.village_names)
        values = {
            "v": village,
            "t": plan.town,
            "y": year,
            "y1": year + 1,
            "cy": cn_year(year),
            "n": 1 + int(8 * rand()),
            "topic": _topic(rng, year),
            "project": PROJECTS[int(len(PROJECTS) * rand())],
            "person": people[int(len(people) * rand() ** 2)],
            "person2": people[int(len(people) * rand() ** 2)],
            "hamlet": choice(plan.hamlets) if plan.hamlets else choice(HAMLETS),
            "post": choice(POSTS),
            "matter": choice(MATTERS),
            "event": choice(EVENTS),
            "dept": choice(DEPTS),
            "fc": plan.code,
        }
        if cat_code == "WS":
            table = VILLAGE_TITLES if plan.kind == "village" else TOWNSHIP_TITLES
        elif cat_code == "KJ·JJ":
            table = PROJECT_TITLES
        elif cat_code == "ZP":
            table = PHOTO_TITLES
        else:
            table = OTHER_TITLES
        title = _pick(rng, table, _CUMS[id(table)]).format(**values)
        if year < 2000 and rand() < 0.15:
            title += f"（{cn_year(year)}年）"
        if plan.kind == "village":
            responsible = choice((f"{plan.place}民委员会", f"{plan.place}民委员会", f"中共{plan.place}支部委员会"))
            if rand() < 0.1:
                responsible = f"{plan.town}人民政府"
        else:
            responsible = choice((f"{plan.town}人民政府", f"{plan.town}人民政府", f"中共{plan.town}委员会"))
            if rand() < 0.08:
                responsible = choice(DEPTS)
        doc_share = 0.8 if plan.kind == "township" else 0.35
        doc_number = _doc_number(rng, plan, year) if cat_code == "WS" and rand() < doc_share else ""
        reference_code = f"{plan.code}-{cat_code}·{year}-{ret_code}" + (f"-{org}" if org else "") + f"-{number:04d}"
        note = _pick(rng, NOTES, _CUMS[id(NOTES)]).format(**values) if rand() < 0.25 else ""
        original_code = ""
        if year < 2006 and rand() < 0.12:
            original_code = f"{year}-{choice(('永久', '长期', '短期'))}-{1 + int(300 * rand()):03d}"
        elif rand() < 0.03:
            original_code = f"{cat_code}{year}-{1 + int(500 * rand()):03d}"
        search_text = build_search_text(title, responsible, doc_number, reference_code, note, original_code)
        kind = rand()
        month, day = 1 + int(12 * rand()), 1 + int(28 * rand())
        date = f"{year}{month:02d}{day:02d}" if kind < 0.9 else f"{year}{month:02d}" if kind < 0.97 else str(year)
        researched = "t" if kind >= 0.97 and rand() < 0.5 else "f"
        status_roll = rand()
        if year <= 1995 and status_roll < 0.6:
            open_status = "open"
        elif status_roll < 0.7:
            open_status = "unreviewed"
        elif status_roll < 0.95:
            open_status = "open"
        elif status_roll < 0.98:
            open_status = "controlled"
        else:
            open_status = "deferred"
        stamp = dt.datetime.fromtimestamp(start_ts + span_ts * row / rows + 3600 * rand(), dt.UTC).isoformat()
        storeroom = "档案室" if plan.custodian_unit_id == plan.creating_unit_id and plan.kind == "village" else "一号库"
        out.write(
            "\t".join(
                (
                    str(row + 1),
                    str(year),
                    org,
                    str(number),
                    reference_code,
                    original_code,
                    title,
                    responsible,
                    "",
                    "",
                    str(1 + int(40 * rand() ** 2)),
                    note,
                    open_status,
                    "",
                    CARRIERS.get(cat_code, "paper"),
                    "digitised" if rand() < 0.2 else "",
                    storeroom,
                    f"{1 + int(12 * rand()):02d}",
                    str(1 + int(5 * rand())),
                    str(1 + int(6 * rand())),
                    f"{1 + number // 50:04d}",
                    "filed",
                    search_text,
                    stamp,
                    stamp,
                    stamp,
                    doc_number,
                    date,
                    researched,
                    str(cat_ids[s.category[row]]),
                    "\\N",
                    str(plan.creating_unit_id),
                    str(plan.custodian_unit_id),
                    str(plan.fonds_id),
                    str(ret_ids[s.retention[row]]),
                    "\\N",
                )
            )
        )
        out.write("\n")
    return out.getvalue()


def _worker(dsn: str, chunks: list[int], rows: int, results: Any) -> None:
    started = time.perf_counter()
    conn = psycopg2.connect(dsn)
    conn.autocommit = False
    sql = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
    gen_s = copy_s = 0.0
    with conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        for chunk in chunks:
            t0 = time.perf_counter()
            data = chunk_text(chunk, rows).encode()
            t1 = time.perf_counter()
            cursor.copy_expert(sql, io.BytesIO(data))
            gen_s += t1 - t0
            copy_s += time.perf_counter() - t1
    conn.commit()
    conn.close()
    results.put({"chunks": len(chunks), "gen_s": gen_s, "copy_s": copy_s, "wall_s": time.perf_counter() - started})


# --- indexes and constraints ---------------------------------------------------------------------


def _dsn() -> str:
    s = connection.settings_dict
    parts = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"], "port": s["PORT"]}
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def meta_get(key: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute("SELECT value FROM bench_meta WHERE key = %s", [key])
        found = cursor.fetchone()
    if found is None:
        return None
    return json.loads(found[0]) if isinstance(found[0], str) else found[0]


def meta_set(key: str, value: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
        if value is None:
            cursor.execute("DELETE FROM bench_meta WHERE key = %s", [key])
        else:
            cursor.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, json.dumps(value, ensure_ascii=False)],
            )


def _table_ddl() -> dict[str, list]:
    """What to build again after the load: indexes (incl. those behind constraints) and constraints."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid), pg_get_indexdef(conindid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype DESC, conname",
            [TABLE],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
            "ORDER BY c.relname",
            [TABLE],
        )
        indexes = cursor.fetchall()
        # Other tables' foreign keys to the items (page images…) depend on the primary key.
        cursor.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE confrelid = %s::regclass AND conrelid <> confrelid AND contype = 'f' ORDER BY conname",
            [TABLE],
        )
        incoming = cursor.fetchall()
    builds = [[name, definition] for name, definition in indexes]
    builds += [[name, indexdef] for name, kind, _d, indexdef in constraints if kind in "pu"]
    attach = [
        [
            name,
            f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {"PRIMARY KEY" if kind == "p" else "UNIQUE"} USING INDEX "{name}"',
        ]
        for name, kind, _d, _i in constraints
        if kind in "pu"
    ]
    foreign = [
        [name, f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}']
        for name, kind, definition, _i in constraints
        if kind == "f"
    ]
    foreign += [
        [name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'] for name, table, definition in incoming
    ]
    drops = [f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"' for name, table, _d in incoming]
    drops += [f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"' for name, _k, _d, _i in constraints]
    drops += [f'DROP INDEX "{name}"' for name, _d in indexes]
    return {"builds": builds, "attach": attach, "foreign": foreign, "drops": drops}


def _merge(pending: dict[str, list] | None, present: dict[str, list]) -> dict[str, list]:
    """What a crashed run left to rebuild, plus what the table has now (by name)."""
    if not pending:
        return present
    merged: dict[str, list] = {}
    for part in ("builds", "attach", "foreign"):
        by_name = dict(pending[part])
        by_name.update(dict(present[part]))
        merged[part] = [[name, statement] for name, statement in by_name.items()]
    merged["drops"] = present["drops"]
    return merged


def _build_cost(definition: str) -> int:
    """Longest first, so the two sessions finish together (the 1-/2-gram GIN dominates)."""
    if "grams12f" in definition:
        return 0
    if "gin_trgm_ops" in definition:
        return 1
    return 2


def rebuild(ddl: dict[str, list]) -> dict[str, float]:
    """Build the indexes in two sessions in parallel, then attach the constraints."""
    timings: dict[str, float] = {}
    todo: queue.Queue = queue.Queue()
    for name, definition in sorted(ddl["builds"], key=lambda b: _build_cost(b[1])):
        todo.put((name, definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1).replace(
            "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1)))  # fmt: skip
    errors: list[BaseException] = []
    dsn = _dsn()

    def session() -> None:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 0")  # two sessions already use both cores
            while True:
                try:
                    name, statement = todo.get_nowait()
                except queue.Empty:
                    break
                started = time.perf_counter()
                try:
                    cursor.execute(statement)
                except BaseException as exc:  # reported by the caller
                    errors.append(exc)
                    break
                timings[f"index {name}"] = time.perf_counter() - started
                print(f"    {name}: {timings[f'index {name}']:.1f} s", flush=True)
        conn.close()

    threads = [threading.Thread(target=session) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for _name, statement in ddl["attach"]:
            cursor.execute(statement)
        for _name, statement in ddl["foreign"]:
            cursor.execute(statement)
        timings["constraints"] = time.perf_counter() - started
    return timings


# --- the load --------------------------------------------------------------------------------------


def current(rows: int) -> dict[str, Any] | None:
    """The recorded data set if it is complete, of this version and of ``rows`` rows; else None."""
    dataset = meta_get("dataset")
    if not dataset or dataset.get("rows") != rows or dataset.get("version") != VERSION or meta_get("pending_ddl"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [TABLE])
        estimate = cursor.fetchone()[0]
        cursor.execute(f"SELECT max(id) FROM {TABLE}")
        last = cursor.fetchone()[0]
    if last != rows or abs(estimate - rows) > 0.01 * rows:
        return None
    return dataset


def ensure(rows: int, *, rebuild_data: bool = False) -> dict[str, Any]:
    """The data set of ``rows`` items: reused if recorded as complete, else generated now."""
    plans = ensure_network()
    if not rebuild_data and (dataset := current(rows)) is not None:
        print(f"reusing the generated data set: {rows:,} items (generated {dataset['generated_at']})", flush=True)
        dataset["reused"] = True
        return dataset
    return load(rows, plans)


def load(rows: int, plans: list[FondsPlan]) -> dict[str, Any]:
    from holdings.models import Category, RetentionPeriod

    timings: dict[str, float] = {}
    total_started = time.perf_counter()
    print(f"generating {rows:,} items …", flush=True)
    meta_set("dataset", None)

    started = time.perf_counter()
    s = skeleton(rows, plans)
    timings["classes (numbering)"] = time.perf_counter() - started
    print(f"  classes and numbers: {timings['classes (numbering)']:.1f} s", flush=True)

    # Drop the indexes and constraints, remembering them first (a crashed run restores them next time).
    ddl = _merge(meta_get("pending_ddl"), _table_ddl())
    meta_set("pending_ddl", ddl)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} CASCADE")  # page images of the old items go with them
        cursor.execute("DELETE FROM holdings_numbercounter WHERE key LIKE 'item:%'")
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p','u','f') "
            "UNION ALL SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass",
            [TABLE, TABLE],
        )
        present = {r[0] for r in cursor.fetchall()}
        for statement in ddl["drops"]:
            if statement.split('"')[1] in present or " IF EXISTS " in statement:
                cursor.execute(statement)
    timings["truncate and drop indexes"] = time.perf_counter() - started

    _STATE.update(
        plans=plans,
        skeleton=s,
        category_ids=[Category.objects.get(code=code).pk for code, _w in CATEGORIES],
        retention_ids=[RetentionPeriod.objects.get(code=code).pk for code, _w in RETENTIONS],
    )
    chunks = list(range((rows + CHUNK - 1) // CHUNK))
    half = (len(chunks) + 1) // 2
    shares = [chunks[:half], chunks[half:]]  # contiguous id ranges: the heap stays close to id order
    dsn = _dsn()
    connections.close_all()  # never share a connection with forked children
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(dsn, share, rows, results)) for share in shares if share]
    for worker in workers:
        worker.start()
    reports = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a COPY worker failed (exit code {worker.exitcode})")
    timings["generate + COPY (2 processes)"] = time.perf_counter() - started
    gen = sum(r["gen_s"] for r in reports)
    copy = sum(r["copy_s"] for r in reports)
    print(
        f"  generate + COPY: {timings['generate + COPY (2 processes)']:.1f} s "
        f"(Python text {gen:.0f} s, COPY {copy:.0f} s, summed over workers)",
        flush=True,
    )

    print("  indexes:", flush=True)
    started = time.perf_counter()
    index_timings = rebuild(ddl)
    timings["indexes and constraints (2 sessions)"] = time.perf_counter() - started
    meta_set("pending_ddl", None)
    print(f"  indexes and constraints: {timings['indexes and constraints (2 sessions)']:.1f} s", flush=True)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), %s)", [rows])
        cursor.execute(
            "INSERT INTO holdings_numbercounter (key, last_number) "
            "SELECT concat_ws(':', 'item', fonds_id, category_id, year, retention_id, org_code), max(number) "
            f"FROM {TABLE} WHERE volume_id IS NULL GROUP BY fonds_id, category_id, year, retention_id, org_code "
            "ON CONFLICT (key) DO UPDATE SET last_number = EXCLUDED.last_number"
        )
        cursor.execute(f"VACUUM (ANALYZE) {TABLE}")
        cursor.execute("ANALYZE")
    timings["VACUUM ANALYZE, counters"] = time.perf_counter() - started
    timings["total"] = time.perf_counter() - total_started
    print(f"  VACUUM ANALYZE, counters: {timings['VACUUM ANALYZE, counters']:.1f} s", flush=True)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size(%s::regclass), pg_indexes_size(%s::regclass), "
            "pg_relation_size('holdings_item_search_trgm'), pg_relation_size('holdings_item_search_grams')",
            [TABLE, TABLE],
        )
        heap, all_indexes, trgm, grams = cursor.fetchone()
    dataset = {
        "rows": rows,
        "version": VERSION,
        "seed": SEED,
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "timings": timings,
        "index_timings": index_timings,
        "sizes_mb": {
            "heap": heap / 2**20,
            "all indexes": all_indexes / 2**20,
            "pg_trgm GIN": trgm / 2**20,
            "1-/2-gram GIN": grams / 2**20,
        },
        "reused": False,
    }
    meta_set("dataset", dataset)
    print(f"  total: {timings['total']:.0f} s", flush=True)
    return dataset


STEPS = [
    "classes (numbering)",
    "truncate and drop indexes",
    "generate + COPY (2 processes)",
    "indexes and constraints (2 sessions)",
    "VACUUM ANALYZE, counters",
    "total",
]


def report(dataset: dict[str, Any]) -> str:
    """The data-set section of docs/benchmarks.md (jsonb keeps no key order: sorted here)."""
    t = dataset["timings"]
    steps = sorted(t, key=lambda name: STEPS.index(name) if name in STEPS else len(STEPS) - 1)
    builds = sorted(dataset["index_timings"].items(), key=lambda item: -item[1])
    sizes = dataset["sizes_mb"]
    lines = [
        "### Data set",
        "",
        f"{dataset['rows']:,} items, generator v{dataset['version']} (seed {dataset['seed']}), "
        f"generated {dataset['generated_at']}" + (" — reused by this run" if dataset.get("reused") else "") + ".",
        "",
        "| step | seconds |",
        "|---|---|",
        *[f"| {name} | {t[name]:.1f} |" for name in steps],
        "",
        "Index builds (two sessions in parallel): "
        + ", ".join(f"{name.removeprefix('index ')} {s:.0f} s" for name, s in builds if s >= 1)
        + " (others < 1 s).",
        "",
        "Sizes: "
        + ", ".join(f"{name} {sizes[name]:,.0f} MB" for name in sorted(sizes, key=list(SIZE_NAMES).index))
        + ".",
        "",
    ]
    return "\n".join(lines)


SIZE_NAMES = ("heap", "all indexes", "pg_trgm GIN", "1-/2-gram GIN")
