import pytest

from archives_site.models import AuditEvent
from holdings.models import Classification, Item, OpenStatus
from tests.factories import ItemFactory, UserFactory
from tests.permission_suite import ApiPermissionSuite, PermissionCase
from villages.roles import Role

ITEMS = "/api/v1/items/"
FONDS = "/api/v1/fonds/"


class TestItemPermissions(ApiPermissionSuite):
    """A village archivist reads and files the village's items only."""

    @pytest.fixture
    def case(self, world, network, village_archivist, lookup_operator):
        from tests.factories import FondsFactory

        mine = ItemFactory(fonds=world.village_a1_fonds)
        other = ItemFactory(fonds=world.village_a2_fonds)
        # A1's older records, now kept by the township: A1 reads them but may not file into them.
        kept_by_township = FondsFactory(
            code="C100", creating_unit=network.village_a1, custodian_unit=network.township_a
        )
        return PermissionCase(
            list_url=ITEMS,
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            extra_hidden=[ItemFactory(fonds=world.village_b1_fonds), ItemFactory(fonds=world.archive_fonds)],
            no_role_user=lookup_operator,
            write_out_of_scope=(
                "post",
                ITEMS,
                {"fonds": kept_by_township.pk, "category": "WS", "retention": "Y", "year": 2020, "title": "补归档"},
            ),
            make_more_in_scope=lambda n: [ItemFactory(fonds=world.village_a1_fonds) for _ in range(n)],
            max_list_queries=8,
        )


class TestFondsPermissions(ApiPermissionSuite):
    """A township officer sees the township's fonds (incl. villages it keeps), not others'."""

    @pytest.fixture
    def case(self, world, network, township_officer, lookup_operator):
        from tests.factories import FondsFactory

        return PermissionCase(
            list_url=FONDS,
            reader=township_officer,
            in_scope=world.village_a2_fonds,
            out_of_scope=world.village_b1_fonds,
            extra_hidden=[world.archive_fonds],
            no_role_user=lookup_operator,
            write_out_of_scope=(
                "patch",
                f"{FONDS}{world.village_a2_fonds.pk}/",
                {"custodian_unit": network.county.pk},
            ),
            make_more_in_scope=lambda n: [FondsFactory(creating_unit=network.village_a1) for _ in range(n)],
            max_list_queries=6,
        )


def test_village_archivist_files_an_item_and_gets_its_reference_code(api, world, village_archivist):
    response = api(village_archivist).post(
        ITEMS,
        {
            "fonds": world.village_a1_fonds.pk,
            "category": "WS",
            "retention": "Y",
            "year": 2024,
            "org_code": "CW",
            "title": "关于2024年度村级财务公开的通知",
            "responsible": "青石村民委员会",
            "doc_number": "青村委〔2024〕3号",
            "date": "20240312",
            "page_count": 2,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["reference_code"] == "C101-WS·2024-Y-CW-0001"


def test_a_bad_date_gets_an_actionable_message(api, world, village_archivist):
    response = api(village_archivist, language="zh-hans").post(
        ITEMS,
        {
            "fonds": world.village_a1_fonds.pk,
            "category": "WS",
            "retention": "Y",
            "year": 2024,
            "title": "t",
            "date": "2024-3-12",
        },
    )
    assert response.status_code == 400
    assert "YYYYMMDD" in response.json()["fields"]["date"][0]
    assert not Item.objects.exists()


def test_legacy_retention_is_refused_for_new_items(api, world, village_archivist):
    response = api(village_archivist).post(
        ITEMS, {"fonds": world.village_a1_fonds.pk, "category": "WS", "retention": "C", "year": 2024, "title": "t"}
    )
    assert response.status_code == 400
    assert "D30" in response.json()["fields"]["retention"][0]


def test_township_reads_and_edits_the_village_records_it_keeps(api, world, township_officer, village_archivist):
    kept = ItemFactory(fonds=world.village_a2_fonds)
    response = api(township_officer).patch(f"{ITEMS}{kept.pk}/", {"title": "关于石门村道路硬化工程的请示"})
    assert response.status_code == 200, response.content
    # The village archivist of A1 cannot see A2's records at all.
    assert api(village_archivist).get(f"{ITEMS}{kept.pk}/").status_code == 404


def test_creator_still_reads_after_the_township_keeps_its_records_but_cannot_edit(api, world, network):
    from tests.conftest import _persona

    a2_archivist = _persona("a2_archivist", Role.VILLAGE_ARCHIVIST, network.village_a2)
    kept = ItemFactory(fonds=world.village_a2_fonds)  # created by A2, custodian township A
    client = api(a2_archivist)
    assert client.get(f"{ITEMS}{kept.pk}/").status_code == 200
    assert client.patch(f"{ITEMS}{kept.pk}/", {"title": "改"}).status_code == 403
    kept.refresh_from_db()
    assert kept.title != "改"


def test_search_and_filters_through_the_api(api, world, county_archivist):
    ItemFactory(fonds=world.archive_fonds, title="关于土地承包经营权确权登记的通知", year=2019)
    ItemFactory(fonds=world.archive_fonds, title="关于召开村民代表会议的通知", year=2019)
    ItemFactory(fonds=world.village_b1_fonds, title="土地承包合同", year=2020)
    client = api(county_archivist)
    body = client.get(ITEMS, {"q": "土地承包"}).json()
    assert body["count"] == 2 and not body["count_is_estimate"]
    assert {row["title"] for row in body["results"]} == {"关于土地承包经营权确权登记的通知", "土地承包合同"}
    filtered = client.get(ITEMS, {"q": "土地承包", "year": 2019}).json()
    assert [row["title"] for row in filtered["results"]] == ["关于土地承包经营权确权登记的通知"]
    both_terms = client.get(ITEMS, {"q": "关于 通知"}).json()
    assert both_terms["count"] == 2


def test_keyset_pages_are_newest_first_and_complete(api, world, county_archivist):
    made = [ItemFactory(fonds=world.archive_fonds).pk for _ in range(7)]
    client, seen, url = api(county_archivist), [], f"{ITEMS}?page_size=3"
    while url:
        body = client.get(url).json()
        seen.extend(row["id"] for row in body["results"])
        url = body["next"]
    assert seen == sorted(made, reverse=True)


def test_restricted_record_detail_needs_the_right_and_is_audited(api, world, network, county_archivist):
    from tests.conftest import _persona

    inspector = _persona("inspector", Role.INSPECTOR, network.county)
    secret = ItemFactory(fonds=world.archive_fonds, classification=Classification.SECRET)
    assert api(inspector).get(f"{ITEMS}{secret.pk}/").status_code == 403
    assert api(county_archivist).get(f"{ITEMS}{secret.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="record.view_restricted")
    assert (event.actor, event.object_id) == (county_archivist, str(secret.pk))


def test_external_system_sees_only_open_records(api, world, network):
    from tests.conftest import _persona

    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.county)
    ItemFactory(fonds=world.archive_fonds, open_status=OpenStatus.OPEN, title="公开的")
    closed = ItemFactory(fonds=world.archive_fonds, open_status=OpenStatus.UNREVIEWED, title="未审核的")
    titles = {row["title"] for row in api(external).get(ITEMS).json()["results"]}
    assert titles == {"公开的"}
    assert api(external).get(f"{ITEMS}{closed.pk}/").status_code == 404


def test_categories_are_the_dat13_codes(api, world, village_archivist):
    codes = {row["code"] for row in api(village_archivist).get("/api/v1/categories/").json()}
    assert {"WS", "KJ·JJ", "KU·01", "ZP", "SW", "MT"} <= codes


def test_no_role_user_cannot_list_categories(api, db):
    assert api(UserFactory(username="nobody")).get("/api/v1/categories/").status_code == 403
