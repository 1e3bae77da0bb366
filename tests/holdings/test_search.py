"""Chinese search gives exactly the rows a substring search gives, on every path."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archives_site import search
from archives_site.search import fold, highlight, search_ids
from holdings.models import Item
from tests.factories import FondsFactory, ItemFactory

# A small alphabet so that random queries hit often: common title characters, rare name
# characters, full-width and half-width forms, digits, Latin letters and bracket punctuation.
ALPHABET = "村民委员会关于土地承包镇政〇二一五堃镕珺张李号〔〕[]()ＺＦzf２０1９-·"


def _all_ids(qs, q, page_size=7):
    """Every matching id, page by page; and the first page (whose total covers all matches)."""
    ids, after, first = [], None, None
    while True:
        page = search_ids(qs, q, page_size=page_size, after_id=after)
        first = first or page
        ids.extend(page.ids)
        if not page.has_more:
            return ids, first
        after = page.ids[-1]


def _expected(q):
    terms = fold(q).split()
    rows = Item.objects.order_by("-id").values_list("id", "search_text")
    return [pk for pk, text in rows if all(term in text for term in terms)]


@pytest.fixture
def corpus(db, network):
    rng = random.Random(20261121)
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    for _ in range(120):
        ItemFactory(
            fonds=fonds,
            title="".join(rng.choice(ALPHABET) for _ in range(rng.randint(3, 14))),
            responsible="".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 5))),
            doc_number=rng.choice(["", "镇政〔2015〕12号", "ZF[2019]3号", "村委〔二〇一五〕1号"]),
            note=rng.choice(["", "张堃", "原件存镇档案室"]),
        )
    return Item.objects.all()


@pytest.mark.parametrize("probe_rows", [10_000, 5])  # probe path, and the index fallback
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(alphabet=ALPHABET + " ", min_size=1, max_size=6))
def test_search_returns_exactly_the_substring_matches(corpus, monkeypatch, probe_rows, q):
    monkeypatch.setattr(search, "PROBE_ROWS", probe_rows)
    ids, _page = _all_ids(corpus, q)
    assert ids == _expected(q)


@pytest.mark.parametrize(
    "q",
    [
        "村",
        "委员",
        "土地承包",
        "镇政〔2015〕12号",
        "ＺＦ［２０１９］",
        "zf[2019]",
        "堃",
        "张堃",
        "二〇一五",
        "不存在的词",
    ],
)
@pytest.mark.parametrize("probe_rows", [10_000, 5])
def test_named_queries_match_substring_search(corpus, monkeypatch, q, probe_rows):
    monkeypatch.setattr(search, "PROBE_ROWS", probe_rows)
    ids, page = _all_ids(corpus, q)
    assert ids == _expected(q)
    if not page.total_is_estimate:
        assert page.total == len(ids)


def test_terms_never_match_across_fields(db, network):
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    ItemFactory(fonds=fonds, title="关于召开村民大会", responsible="委员会")
    assert search_ids(Item.objects.all(), "大会委员").ids == []
    assert len(search_ids(Item.objects.all(), "大会 委员").ids) == 1


def test_a_huge_result_set_gives_an_estimated_total(db, network, monkeypatch):
    monkeypatch.setattr(search, "PROBE_ROWS", 40)
    monkeypatch.setattr(search, "PROBE_MATCHES", 30)
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    for i in range(60):
        ItemFactory(fonds=fonds, title=f"村民代表会议记录{i}")
    page = search_ids(Item.objects.all(), "会议", page_size=10)
    assert page.strategy == "probe"
    assert page.total_is_estimate
    # The planner's row estimate scales the hit rate; at least what the probe found.
    assert page.total >= 30


def test_highlight_marks_matches_in_the_original_characters():
    assert str(highlight("镇政〔2015〕12号", "2015")) == "镇政〔<mark>2015</mark>〕12号"
    assert str(highlight("ＺＦ［２０１９］", "zf")) == "<mark>ＺＦ</mark>［２０１９］"
    assert str(highlight("<b>村</b>", "村")) == "&lt;b&gt;<mark>村</mark>&lt;/b&gt;"


@pytest.fixture
def county_corpus(db, network):
    """Items across the county: villages' own fonds, a village fonds held by the archive, a
    township fonds; some with a search text too long for the covering scope indexes."""
    rng = random.Random(20261122)
    fonds_list = [
        FondsFactory(code="C201", creating_unit=network.village_a1),
        FondsFactory(code="C202", creating_unit=network.village_a2),
        FondsFactory(code="C203", creating_unit=network.village_b1),
        FondsFactory(code="C204", creating_unit=network.village_a1, custodian_unit=network.archive),
        FondsFactory(code="C205", creating_unit=network.township_a),
    ]
    for index in range(60):
        long_note = "档案" * 700 + "张堃" if index % 9 == 0 else rng.choice(["", "张堃", "原件存镇档案室"])
        ItemFactory(
            fonds=fonds_list[index % len(fonds_list)],
            title="".join(rng.choice(ALPHABET) for _ in range(rng.randint(3, 14))),
            responsible="".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 5))),
            note=long_note,
        )
    return fonds_list


def _expected_in_scope(q, unit_ids):
    terms = fold(q).split()
    rows = Item.objects.order_by("-id").values_list("id", "search_text", "creating_unit_id", "custodian_unit_id")
    return [
        pk
        for pk, text, creating, custodian in rows
        if (creating in unit_ids or custodian in unit_ids) and all(term in text for term in terms)
    ]


@pytest.mark.parametrize("persona", ["village_archivist", "township_officer"])
@pytest.mark.parametrize(
    ("probe_rows", "small_scope_rows"),
    [(10_000, 100_000), (5, 100_000), (5, 0)],  # probe; probe then the rest of the scope; probe then index
)
@pytest.mark.parametrize("q", ["", "村", "堃", "张堃", "档案档案", "会 村", "不存在的词"])
def test_scoped_search_returns_exactly_the_scopes_matches(
    county_corpus, network, request, monkeypatch, persona, probe_rows, small_scope_rows, q
):
    """A scoped queryset is read partition by partition (one per unit and unit field): the
    pages must hold exactly the scope's matches, each once, newest first, whatever the path."""
    from holdings.selectors import visible
    from villages.models import Unit

    monkeypatch.setattr(search, "PROBE_ROWS", probe_rows)
    monkeypatch.setattr(search, "SMALL_SCOPE_ROWS", small_scope_rows)
    user = request.getfixturevalue(persona)
    reach = network.village_a1 if persona == "village_archivist" else network.township_a
    unit_ids = set(Unit.objects.descendants_of(reach).values_list("id", flat=True))
    qs = visible(Item, user=user)
    assert qs.scope_partitions(), "a scope of a few units is read by partition"
    ids, page = _all_ids(qs, q)
    expected = _expected_in_scope(q, unit_ids)
    assert expected or q == "不存在的词", "the corpus must make the comparison meaningful"
    assert ids == expected
    if not page.total_is_estimate:
        assert page.total == len(expected)


def test_a_scoped_list_of_a_model_without_search_text_is_paged_by_partition(network, township_officer):
    """Keyset paging works on any scoped model (here units), newest first, split or not."""
    from villages.models import Unit

    qs = Unit.objects.restrict(township_officer)
    expected = list(qs.order_by("-id").values_list("id", flat=True))
    assert qs.scope_partitions() and len(expected) == 4  # the county, township A and its two villages
    page = search_ids(qs, "", page_size=3)
    assert (page.ids, page.total, page.has_more) == (expected[:3], 4, True)


def test_a_queryset_that_can_match_nothing_is_an_empty_page(db, network):
    ItemFactory(fonds=FondsFactory(code="C101", creating_unit=network.village_a1), title="村民委员会")
    for qs in (Item.objects.none(), Item.objects.filter(custodian_unit_id__in=[]), Item.objects.filter(year=-1)):
        for q in ("", "村民"):
            page = search_ids(qs, q)
            assert (page.ids, page.total, page.has_more) == ([], 0, False)
    assert search.count_rows(Item.objects.filter(custodian_unit_id__in=[])) == (0, False)


def test_nul_bytes_in_a_query_are_no_error(db, network):
    ItemFactory(fonds=FondsFactory(code="C101", creating_unit=network.village_a1), title="村民委员会")
    assert search_ids(Item.objects.all(), "村民\x00委员").total == 1


def test_the_index_path_leaves_the_callers_transaction_settings_alone(db, network, monkeypatch):
    from django.db import connection, transaction

    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    for n in range(12):
        ItemFactory(fonds=fonds, title="关于土地承包的通知" if n == 0 else f"会议纪要{n}")
    monkeypatch.setattr(search, "PROBE_ROWS", 3)  # the probe misses: the GIN index path runs
    with transaction.atomic(), connection.cursor() as cursor:
        page = search_ids(Item.objects.all(), "土地", page_size=5)
        assert (page.strategy, page.total) == ("index", 1)
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "4"
