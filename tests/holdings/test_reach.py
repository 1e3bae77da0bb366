"""What a user may see and where a record may go: the rules of DESIGN §4 as each persona meets
them, through the one selector and the one placement function (issue 7, §2 and §3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archives_site.models import AuditEvent
from archives_site.scoping import SYSTEM
from holdings import selectors, services
from holdings.models import Classification, Item, OpenStatus, RecordStatus
from tests.conftest import _persona
from tests.factories import PASSWORD, FondsFactory, ItemFactory, VolumeFactory, category, retention
from villages import services as unit_services
from villages.models import UnitKind
from villages.roles import Role

ITEMS = "/api/v1/items/"


@pytest.fixture
def inspector(network):
    """Reads holdings county-wide but holds no right to restricted records."""
    return _persona("inspector", Role.INSPECTOR, network.county)


@pytest.fixture
def secret(world):
    return ItemFactory(
        fonds=world.archive_fonds,
        classification=Classification.SECRET,
        title="关于绝密工程选址的请示",
        responsible="区国防动员办",
        doc_number="青防〔1998〕7号",
        note="附图三张",
        original_code="老档-0042",
    )


# --- reads: restricted rows ------------------------------------------------------------------


def test_api_list_withholds_restricted_fields_from_a_reader_without_the_right(api, world, inspector, secret):
    ItemFactory(fonds=world.archive_fonds, title="关于召开村民代表会议的通知")
    rows = {row["id"]: row for row in api(inspector).get(ITEMS).json()["results"]}
    row = rows[secret.pk]
    assert row["withheld"] is True
    assert row["reference_code"] == secret.reference_code and row["status"] == "filed"
    assert "绝密工程" not in str(row) and "国防动员" not in str(row) and "青防" not in str(row)
    assert row["classification"] == ""


def test_search_does_not_match_withheld_fields(api, world, inspector, county_archivist, secret):
    client = api(inspector)
    for term in ("绝密工程", "国防动员", "附图三张", "老档-0042", "青防"):
        assert client.get(ITEMS, {"q": term}).json()["count"] == 0, term
    # The 档号 is shown, so it may be searched.
    assert [r["id"] for r in client.get(ITEMS, {"q": secret.reference_code}).json()["results"]] == [secret.pk]
    # Someone with the right finds it by its title.
    assert api(county_archivist).get(ITEMS, {"q": "绝密工程"}).json()["count"] == 1


def test_html_list_and_volume_page_withhold_restricted_fields(client, world, inspector):
    volume = VolumeFactory(fonds=world.archive_fonds, title="1998年基建卷")
    ItemFactory(
        fonds=world.archive_fonds, volume=volume, open_status=OpenStatus.CONTROLLED, title="控制使用的拆迁补偿名册"
    )
    client.login(username=inspector.username, password=PASSWORD)
    listing = client.get("/holdings/items/").content.decode()
    assert "拆迁补偿" not in listing and 'data-testid="withheld"' in listing
    assert "拆迁补偿" not in client.get("/holdings/items/", {"q": "拆迁"}).content.decode()
    page = client.get(f"/holdings/volumes/{volume.pk}/").content.decode()
    assert "拆迁补偿" not in page and 'data-testid="withheld"' in page


def test_withheld_record_cannot_be_saved_by_mistake(world, inspector, secret):
    shown = next(selectors.withhold([Item.objects.get(pk=secret.pk)], user=inspector))
    with pytest.raises(RuntimeError):
        shown.save()
    secret.refresh_from_db()
    assert secret.title == "关于绝密工程选址的请示"


def test_open_only_roles_do_not_see_restricted_rows_at_all(api, world, network, secret):
    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.county)
    ItemFactory(fonds=world.archive_fonds, open_status=OpenStatus.OPEN, classification=Classification.SECRET)
    opened = ItemFactory(fonds=world.archive_fonds, open_status=OpenStatus.OPEN, title="已开放的")
    assert [r["id"] for r in api(external).get(ITEMS).json()["results"]] == [opened.pk]


# --- reads: open-only belongs to the assignment ------------------------------------------------


def test_open_only_is_per_assignment_not_per_user(api, world, network, county_admin):
    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.county)
    unit_services.role_assignment_create(
        actor=county_admin, user=external, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )
    mine = ItemFactory(fonds=world.village_a1_fonds, open_status=OpenStatus.UNREVIEWED)
    elsewhere = ItemFactory(fonds=world.village_b1_fonds, open_status=OpenStatus.UNREVIEWED)
    opened = ItemFactory(fonds=world.village_b1_fonds, open_status=OpenStatus.OPEN)
    ids = {r["id"] for r in api(external).get(ITEMS, {"page_size": 200}).json()["results"]}
    assert mine.pk in ids and opened.pk in ids  # full reach in A1, open rows elsewhere
    assert elsewhere.pk not in ids
    assert api(external).get(f"{ITEMS}{elsewhere.pk}/").status_code == 404


# --- reads: caches follow the reach ------------------------------------------------------------


def test_statistics_follow_a_role_change_at_once(world, network, county_admin):
    user = _persona("new_officer", Role.VILLAGE_ARCHIVIST, network.village_a1)
    ItemFactory(fonds=world.village_a1_fonds)
    ItemFactory(fonds=world.village_b1_fonds)
    assert selectors.annual_statistics(user=user, year=2026)["items"] == 1
    unit_services.role_assignment_create(
        actor=county_admin, user=user, role=Role.VILLAGE_ARCHIVIST, unit=network.village_b1
    )
    assert selectors.annual_statistics(user=user, year=2026)["items"] == 2


# --- grants ------------------------------------------------------------------------------------


def test_township_officer_cannot_grant_to_an_account_that_works_elsewhere(api, network, township_officer):
    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.county)
    with pytest.raises(PermissionDenied):
        unit_services.role_assignment_create(
            actor=township_officer, user=external, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
        )
    client = api(township_officer)
    payload = {"role": Role.VILLAGE_ARCHIVIST, "unit": network.village_a1.pk}
    refused = client.post("/api/v1/role-assignments/", {**payload, "user": external.username})
    unknown = client.post("/api/v1/role-assignments/", {**payload, "user": "no-such-person"})
    # Both refusals read the same: the answer does not reveal that the account exists.
    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == unknown.json()
    assert not external.role_assignments.filter(unit=network.village_a1).exists()


def test_service_accounts_get_staff_roles_from_the_county_administrator_only(network, county_admin):
    officer_of_county = _persona("other_officer", Role.TOWNSHIP_OFFICER, network.township_a)
    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.village_a1)
    with pytest.raises(PermissionDenied):  # within the officer's reach, but a service account
        unit_services.role_assignment_create(
            actor=officer_of_county, user=external, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
        )
    unit_services.role_assignment_create(
        actor=county_admin, user=external, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )


def test_only_the_county_administrator_changes_a_units_kind(api, network, township_officer, county_admin):
    response = api(township_officer).patch(f"/api/v1/units/{network.village_a1.pk}/", {"kind": UnitKind.COUNTY})
    assert response.status_code == 403
    network.village_a1.refresh_from_db()
    assert network.village_a1.kind == UnitKind.VILLAGE
    assert (
        api(township_officer).patch(f"/api/v1/units/{network.village_a1.pk}/", {"name": "青石新村"}).status_code == 200
    )
    assert (
        api(county_admin).patch(f"/api/v1/units/{network.village_a1.pk}/", {"kind": UnitKind.COMMUNITY}).status_code
        == 200
    )


# --- writes: where a record may go --------------------------------------------------------------


def test_services_refuse_a_missing_actor(world):
    with pytest.raises(PermissionDenied):
        services.item_create(
            actor=None, fonds=world.village_a1_fonds, category=category(), retention=retention(), year=2020, title="t"
        )
    assert not Item.objects.exists()


def test_archivist_cannot_move_an_archive_draft_into_a_village_fonds(api, world, county_archivist):
    draft = ItemFactory(fonds=world.archive_fonds, file=False)
    response = api(county_archivist).patch(f"{ITEMS}{draft.pk}/", {"fonds": world.village_a1_fonds.pk})
    assert response.status_code == 403
    draft.refresh_from_db()
    assert (draft.fonds_id, draft.custodian_unit_id) == (world.archive_fonds.pk, world.archive_fonds.custodian_unit_id)


def test_renumber_into_another_fonds_checks_the_destination(api, world, county_archivist):
    item = ItemFactory(fonds=world.archive_fonds)
    response = api(county_archivist).post(
        f"{ITEMS}{item.pk}/renumber/", {"fonds": world.village_a1_fonds.pk, "reason": "归错全宗"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.fonds_id == world.archive_fonds.pk and not Item.objects.filter(status=RecordStatus.WITHDRAWN).exists()


def test_moving_a_draft_into_another_fonds_takes_that_fonds_units(world, network):
    draft = ItemFactory(fonds=world.village_a1_fonds, file=False)
    services.record_update(record=draft, actor=SYSTEM, fonds=world.village_a2_fonds)
    draft.refresh_from_db()
    assert (draft.creating_unit_id, draft.custodian_unit_id) == (network.village_a2.pk, network.township_a.pk)


def test_an_item_cannot_join_a_volume_of_another_fonds(world):
    volume = VolumeFactory(fonds=world.archive_fonds)
    other = FondsFactory(code="J002", creating_unit=world.archive_fonds.creating_unit)
    with pytest.raises(ValidationError) as refused:
        ItemFactory(fonds=other, volume=volume)
    assert "volume" in refused.value.message_dict


def test_an_item_filed_into_a_volume_takes_the_volumes_fonds(world):
    volume = VolumeFactory(fonds=world.archive_fonds)
    item = services.item_create(
        actor=SYSTEM, volume=volume, title="卷内文件", category=category(), year=volume.year, retention=retention()
    )
    assert item.fonds_id == volume.fonds_id and item.custodian_unit_id == volume.custodian_unit_id


def test_village_archivist_cannot_repoint_its_fonds_creating_unit(api, world, network, village_archivist):
    response = api(village_archivist).patch(
        f"/api/v1/fonds/{world.village_a1_fonds.pk}/", {"creating_unit": network.county.pk}
    )
    assert response.status_code in (400, 403)
    world.village_a1_fonds.refresh_from_db()
    assert world.village_a1_fonds.creating_unit_id == network.village_a1.pk


def test_withdrawn_records_are_read_only(api, world, county_archivist):
    item = ItemFactory(fonds=world.archive_fonds)
    services.item_renumber(item=item, actor=SYSTEM, reason="归错年度", year=2016)
    placeholder = Item.objects.get(status=RecordStatus.WITHDRAWN)
    client = api(county_archivist)
    assert client.patch(f"{ITEMS}{placeholder.pk}/", {"title": "复活"}).status_code == 400
    assert client.post(f"{ITEMS}{placeholder.pk}/renumber/", {"year": 2017, "reason": "再改"}).status_code == 400
    placeholder.refresh_from_db()
    assert placeholder.status == RecordStatus.WITHDRAWN and placeholder.title != "复活"


def test_html_list_marks_withdrawn_records(client, world, county_archivist):
    item = ItemFactory(fonds=world.archive_fonds)
    services.item_renumber(item=item, actor=SYSTEM, reason="归错年度", year=2016)
    client.login(username=county_archivist.username, password=PASSWORD)
    page = client.get("/holdings/items/").content.decode()
    assert "已作废" in page


@pytest.mark.parametrize("year", [12, 3024])
def test_years_out_of_bounds_are_refused_everywhere(api, world, village_archivist, year):
    payload = {"fonds": world.village_a1_fonds.pk, "category": "WS", "retention": "Y", "year": year, "title": "t"}
    response = api(village_archivist).post(ITEMS, payload)
    assert response.status_code == 400 and "year" in response.json()["fields"]
    with pytest.raises(ValidationError):
        services.item_create(
            actor=SYSTEM,
            **{**payload, "fonds": world.village_a1_fonds, "category": category(), "retention": retention()},
        )
    assert not Item.objects.exists()


def test_a_date_outside_its_year_needs_a_confirmation(api, world, village_archivist):
    payload = {
        "fonds": world.village_a1_fonds.pk,
        "category": "WS",
        "retention": "Y",
        "year": 2015,
        "title": "关于2016年工作计划的报告",
        "date": "19980101",
    }
    client = api(village_archivist, language="zh-hans")
    refused = client.post(ITEMS, payload)
    assert refused.status_code == 400 and "2015" in refused.json()["fields"]["date"][0]
    assert client.post(ITEMS, {**payload, "confirm_date": True}).status_code == 201


def test_record_creates_and_edits_are_audited(api, world, village_archivist):
    client = api(village_archivist)
    created = client.post(
        ITEMS, {"fonds": world.village_a1_fonds.pk, "category": "WS", "retention": "Y", "year": 2024, "title": "原题名"}
    ).json()
    client.patch(f"{ITEMS}{created['id']}/", {"title": "新题名"})
    create = AuditEvent.objects.get(action="item.create")
    change = AuditEvent.objects.get(action="item.change")
    assert create.actor == village_archivist and create.object_id == str(created["id"])
    assert change.data["title"] == ["原题名", "新题名"]


def test_record_pages_of_withdrawn_and_restricted_records(client, world, county_archivist, inspector):
    item = ItemFactory(fonds=world.archive_fonds)
    services.item_renumber(item=item, actor=SYSTEM, reason="归错年度", year=2016)
    placeholder = Item.objects.get(status=RecordStatus.WITHDRAWN)
    client.login(username=county_archivist.username, password=PASSWORD)
    page = client.get(f"/holdings/items/{placeholder.pk}/")
    assert "已作废" in page.content.decode() and f"/holdings/items/{placeholder.pk}/edit/" not in page.content.decode()
    secret_volume = VolumeFactory(fonds=world.archive_fonds, classification=Classification.SECRET, title="绝密基建卷")
    inside = ItemFactory(fonds=world.archive_fonds, volume=secret_volume, title="卷内的普通文件")
    assert client.get(f"/holdings/volumes/{secret_volume.pk}/")["Cache-Control"].count("no-store") == 1
    client.logout()
    client.login(username=inspector.username, password=PASSWORD)
    shown = client.get(f"/holdings/items/{inside.pk}/").content.decode()
    assert "卷内的普通文件" in shown and "绝密基建卷" not in shown


# --- found by review ----------------------------------------------------------------------------


def test_renumbering_a_restricted_item_keeps_its_old_entry_restricted(api, world, inspector, secret):
    services.item_renumber(item=secret, actor=SYSTEM, reason="年度错", year=2016)
    body = api(inspector).get(ITEMS, {"q": "绝密工程"}).json()
    assert body["count"] == 0
    rows = api(inspector).get(ITEMS).json()["results"]
    assert all(row["withheld"] for row in rows) and "绝密工程" not in str(rows)


def test_nothing_is_filed_into_a_draft_volume(api, world, village_archivist):
    ItemFactory(fonds=world.village_a1_fonds, year=2015)
    draft = VolumeFactory(fonds=world.village_a1_fonds, year=2015, file=False)
    response = api(village_archivist).post(
        ITEMS,
        {
            "fonds": world.village_a1_fonds.pk,
            "volume": draft.pk,
            "category": "WS",
            "retention": "Y",
            "year": 2015,
            "org_code": "BGS",
            "title": "t",
        },
    )
    assert response.status_code == 400 and "volume" in response.json()["fields"]


def test_a_hidden_volume_is_not_named_to_an_open_only_reader_of_an_open_item(api, client, world, network):
    external = _persona("gov_platform", Role.EXTERNAL_SYSTEM, network.county)
    volume = VolumeFactory(fonds=world.archive_fonds, open_status=OpenStatus.UNREVIEWED, title="未审查的征地卷")
    inside = ItemFactory(fonds=world.archive_fonds, volume=volume, open_status=OpenStatus.OPEN, title="已开放的通知")
    body = api(external).get(f"{ITEMS}{inside.pk}/").json()
    assert body["title"] == "已开放的通知" and "征地卷" not in str(body)
    assert api(external).get(f"/api/v1/volumes/{volume.pk}/").status_code == 404
    # An external system has no web pages at all (a service account: API only).
    assert not client.login(username=external.username, password=PASSWORD) or (
        client.get(f"/holdings/items/{inside.pk}/").status_code != 200
    )


def test_an_archivist_cannot_make_a_village_the_creating_unit_of_an_archive_fonds(
    api, world, network, county_archivist
):
    response = api(county_archivist).patch(
        f"/api/v1/fonds/{world.archive_fonds.pk}/", {"creating_unit": network.village_b1.pk}
    )
    assert response.status_code == 403
    world.archive_fonds.refresh_from_db()
    assert world.archive_fonds.creating_unit_id == network.archive.pk


def test_a_confirmed_date_stays_accepted_on_later_edits(world):
    item = ItemFactory(fonds=world.village_a1_fonds, year=2015, date="19980101", confirm_date=True)
    services.record_update(record=item, actor=SYSTEM, box="0017")
    item.refresh_from_db()
    assert item.box == "0017"
    with pytest.raises(ValidationError):
        services.record_update(record=item, actor=SYSTEM, date="30240101", confirm_date=True)


def test_superusers_get_roles_from_the_county_administrator_only(network, township_officer):
    from tests.factories import UserFactory

    operator = UserFactory(username="root_op", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied):
        unit_services.role_assignment_create(
            actor=township_officer, user=operator, role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
        )


def test_renumber_page_of_a_record_kept_elsewhere_is_403(client, world, network):
    a2_archivist = _persona("a2_archivist", Role.VILLAGE_ARCHIVIST, network.village_a2)
    kept = ItemFactory(fonds=world.village_a2_fonds)  # created by A2, kept by the township
    client.login(username=a2_archivist.username, password=PASSWORD)
    assert client.get(f"/holdings/items/{kept.pk}/").status_code == 200
    assert client.get(f"/holdings/items/{kept.pk}/renumber/").status_code == 403


# --- found by the adversarial pass ---------------------------------------------------------------


def test_a_repeated_renumber_changes_nothing(api, world, county_archivist):
    item = ItemFactory(fonds=world.archive_fonds, year=2015)
    client = api(county_archivist)
    assert client.post(f"{ITEMS}{item.pk}/renumber/", {"year": 2016, "reason": "错年"}).status_code == 200
    assert client.post(f"{ITEMS}{item.pk}/renumber/", {"year": 2016, "reason": "错年"}).status_code == 400
    assert Item.objects.filter(status=RecordStatus.WITHDRAWN).count() == 1


def test_renumbering_into_a_legacy_retention_is_refused(api, world, county_archivist):
    item = ItemFactory(fonds=world.archive_fonds)
    response = api(county_archivist).post(f"{ITEMS}{item.pk}/renumber/", {"retention": "C", "reason": "改期限"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.retention.code == "Y"


def test_org_codes_cannot_hold_separators(api, world, county_archivist):
    payload = {"fonds": world.archive_fonds.pk, "category": "WS", "retention": "Y", "year": 2020, "title": "t"}
    response = api(county_archivist).post(ITEMS, {**payload, "org_code": "BGS-001"})
    assert response.status_code == 400 and "org_code" in response.json()["fields"]


def test_a_fonds_number_stays_once_records_are_filed(api, world, village_archivist):
    ItemFactory(fonds=world.village_a1_fonds)
    response = api(village_archivist).patch(f"/api/v1/fonds/{world.village_a1_fonds.pk}/", {"code": "C9999"})
    assert response.status_code == 400
    world.village_a1_fonds.refresh_from_db()
    assert world.village_a1_fonds.code == "C101"


def test_a_taken_reference_code_is_a_clear_refusal_not_a_500(api, world, county_archivist):
    taken = ItemFactory(fonds=world.archive_fonds, year=2020)
    Item.objects.filter(pk=taken.pk).update(reference_code="J001-WS·2020-Y-BGS-0002")  # e.g. an imported code
    response = api(county_archivist).post(
        ITEMS,
        {
            "fonds": world.archive_fonds.pk,
            "category": "WS",
            "retention": "Y",
            "year": 2020,
            "org_code": "BGS",
            "title": "t",
        },
    )
    assert response.status_code == 400
