"""Sharing down (推送): the archive pushes open land-contract records of a village to it; the
village finds them in its own list and search marked as pushed, until the push is revoked; only
filed, open, unclassified items go, and nothing is pushed twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from archives_site.models import AuditEvent
from holdings import pushes, selectors, services
from holdings.models import Item, RecordPush
from tests.factories import PASSWORD, FondsFactory, ItemFactory
from tests.permission_suite import ApiPermissionSuite, PermissionCase


@pytest.fixture
def land(network):
    """The archive keeps 青石村's land-contract fonds: three open items, one closed, one draft."""
    fonds = FondsFactory(code="C201", name="青石村土地承包档案", creating_unit=network.archive)
    open_items = [
        ItemFactory(fonds=fonds, title=f"青石村第{n}组土地承包合同", open_status="open", year=1998 + n)
        for n in range(3)
    ]
    closed = ItemFactory(fonds=fonds, title="青石村土地纠纷调解记录", open_status="controlled", year=1999)
    draft = ItemFactory(fonds=fonds, title="青石村土地承包草稿", open_status="open", file=False)
    return fonds, open_items, closed, draft


def test_pushed_records_appear_in_the_villages_search_marked_until_revoked(
    land, network, county_archivist, village_archivist, other_village_archivist
):
    fonds, open_items, _closed, _draft = land
    push = pushes.push_create(
        actor=county_archivist, fonds=fonds, target=network.village_a1, title="青石村土地承包档案 1998–2000"
    )
    assert push.item_count == 3
    seen = selectors.visible(Item, user=village_archivist)
    assert set(seen.filter(fonds=fonds)) == set(open_items)  # not the closed one, not the draft
    found, _page = selectors.record_search(seen, user=village_archivist, q="土地承包合同", page_size=50, after_id=None)
    assert {item.pk for item in found} == {item.pk for item in open_items}
    assert all(item.pushed for item in found)
    assert not selectors.visible(Item, user=other_village_archivist).filter(fonds=fonds).exists()
    # Shared for reading, not counted as the village's own holdings.
    assert sum(row["n"] for row in selectors._holdings_statistics(village_archivist)["category"]) == 0
    # The village still cannot change them.
    with pytest.raises(PermissionDenied):
        services.record_update(record=open_items[0], actor=village_archivist, title="改")
    event = AuditEvent.objects.get(action="push.create")
    assert event.data["n"] == 3 and event.data["target_unit_id"] == network.village_a1.pk

    pushes.push_revoke(actor=county_archivist, push=push, reason="推送范围有误")
    assert not selectors.visible(Item, user=village_archivist).filter(fonds=fonds).exists()
    assert AuditEvent.objects.get(action="push.revoke").reason == "推送范围有误"
    with pytest.raises(ValidationError):
        pushes.push_revoke(actor=county_archivist, push=push, reason="再撤一次")


def test_an_item_closed_after_the_push_is_no_longer_shared(land, network, county_archivist, village_archivist):
    fonds, open_items, _closed, _draft = land
    pushes.push_create(actor=county_archivist, fonds=fonds, target=network.village_a1, title="土地承包")
    services.record_update(record=open_items[0], actor=county_archivist, open_status="controlled")
    seen = selectors.visible(Item, user=village_archivist).filter(fonds=fonds)
    assert set(seen) == set(open_items[1:])


def test_nothing_is_pushed_twice_and_a_selection_narrows(land, network, county_archivist):
    fonds, _open_items, _closed, _draft = land
    first = pushes.push_create(
        actor=county_archivist, fonds=fonds, target=network.village_a1, title="1998", year_from=1998, year_to=1998
    )
    assert first.item_count == 1
    second = pushes.push_create(actor=county_archivist, fonds=fonds, target=network.village_a1, title="全部")
    assert second.item_count == 2  # the 1998 item is already there
    with pytest.raises(ValidationError):
        pushes.push_create(actor=county_archivist, fonds=fonds, target=network.village_a1, title="再推一次")
    assert RecordPush.objects.count() == 2


def test_who_may_push_where(land, network, county_archivist, village_archivist, township_officer):
    fonds, _open_items, _closed, _draft = land
    with pytest.raises(PermissionDenied):  # a village pushes nothing
        pushes.push_create(actor=village_archivist, fonds=fonds, target=network.village_a1, title="x")
    with pytest.raises(PermissionDenied):
        pushes.push_create(actor=township_officer, fonds=fonds, target=network.village_a1, title="x")
    village_fonds = FondsFactory(creating_unit=network.village_a2)
    ItemFactory(fonds=village_fonds, open_status="open")
    with pytest.raises(PermissionDenied):  # the archive pushes only what it keeps
        pushes.push_create(actor=county_archivist, fonds=village_fonds, target=network.village_a1, title="x")
    for target in (network.department, network.archive, network.county):
        with pytest.raises(ValidationError):
            pushes.push_create(actor=county_archivist, fonds=fonds, target=target, title="x")
    with pytest.raises(ValidationError):
        pushes.push_create(actor=county_archivist, fonds=fonds, target=network.village_a1, title="   ")
    assert not RecordPush.objects.exists()


def test_push_pages_preview_push_once_and_revoke(land, network, county_archivist, village_archivist, client):
    fonds, open_items, _closed, _draft = land
    client.login(username="county_archivist", password=PASSWORD)
    url = reverse("holdings:push-new")
    form = client.get(url)
    data = {
        "target_unit": network.village_a1.pk,
        "fonds": fonds.pk,
        "title": "青石村土地承包档案",
        "nonce": form.context["nonce"],
    }
    preview = client.post(url, data)
    assert preview.context["preview"]["count"] == 3 and not RecordPush.objects.exists()
    done = client.post(url, {**data, "confirm": "1", "nonce": preview.context["nonce"]})
    push = RecordPush.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("holdings:push-detail", args=[push.pk])
    client.post(url, {**data, "confirm": "1", "nonce": preview.context["nonce"]})  # the same click again
    assert RecordPush.objects.count() == 1

    client.logout()
    client.login(username="village_archivist", password=PASSWORD)
    listing = client.get(reverse("holdings:item-list"), {"q": "土地承包"}).content.decode()
    assert open_items[0].reference_code in listing and 'data-testid="pushed"' in listing
    assert client.get(reverse("holdings:item-list"), {"push": push.pk}).context["page"].total == 3
    detail = client.get(reverse("holdings:item-detail", args=[open_items[0].pk])).content.decode()
    assert 'data-testid="pushed"' in detail
    assert client.get(reverse("holdings:push-detail", args=[push.pk])).status_code == 200
    assert client.post(reverse("holdings:push-detail", args=[push.pk]), {"reason": "x"}).status_code == 403

    client.logout()
    client.login(username="county_archivist", password=PASSWORD)
    client.post(reverse("holdings:push-detail", args=[push.pk]), {"reason": "范围有误"})
    push.refresh_from_db()
    assert push.revoked_at is not None
    client.logout()
    client.login(username="village_archivist", password=PASSWORD)
    assert client.get(reverse("holdings:item-detail", args=[open_items[0].pk])).status_code == 404


class TestRecordPushPermissions(ApiPermissionSuite):
    @pytest.fixture
    def case(self, land, network, county_archivist, village_archivist, no_role_user):
        fonds, open_items, _closed, _draft = land
        mine = pushes.push_create(
            actor=county_archivist, fonds=fonds, target=network.village_a1, title="青石村", item_ids=[open_items[0].pk]
        )
        other = pushes.push_create(actor=county_archivist, fonds=fonds, target=network.village_b1, title="白沙村")

        def more(n):
            for item in open_items[1 : 1 + n]:
                pushes.push_create(
                    actor=county_archivist, fonds=fonds, target=network.village_a1, title="更多", item_ids=[item.pk]
                )

        return PermissionCase(
            list_url="/api/v1/record-pushes/",
            reader=village_archivist,
            in_scope=mine,
            out_of_scope=other,
            no_role_user=no_role_user,
            write_out_of_scope=("post", f"/api/v1/record-pushes/{mine.pk}/revoke/", {"reason": "x"}),
            make_more_in_scope=more,
            max_list_queries=8,
        )


def test_the_api_pushes_and_revokes(api, land, network, county_archivist, village_archivist, township_officer):
    fonds, open_items, _closed, _draft = land
    client = api(county_archivist)
    created = client.post(
        "/api/v1/record-pushes/",
        {"target_unit": network.village_a1.pk, "fonds": fonds.pk, "title": "土地承包", "items": [open_items[0].pk]},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["item_count"] == 1 and created.json()["active"]
    rows = api(village_archivist).get("/api/v1/items/", {"fonds": fonds.pk}).json()["results"]
    assert [(row["id"], row["pushed"]) for row in rows] == [(open_items[0].pk, True)]
    assert (
        api(township_officer).post(f"/api/v1/record-pushes/{created.json()['id']}/revoke/", {"reason": "x"}).status_code
        == 403
    )
    revoked = client.post(f"/api/v1/record-pushes/{created.json()['id']}/revoke/", {"reason": "错推"})
    assert revoked.status_code == 200 and not revoked.json()["active"]
    assert api(village_archivist).get("/api/v1/items/", {"fonds": fonds.pk}).json()["results"] == []
    empty = client.post(
        "/api/v1/record-pushes/",
        {"target_unit": network.village_a1.pk, "fonds": fonds.pk, "title": "x", "items": [10**12]},
    )
    assert empty.status_code == 400
