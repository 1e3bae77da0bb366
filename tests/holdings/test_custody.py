"""Custody modes (村档村管 / 村档乡管 / 托管): a dated, audited change that moves the village's
fonds, volumes and items to the new keeper; permissions follow the custodian, and the village
still reads what it created."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from archives_site.models import AuditEvent
from holdings import services
from holdings.custody import custody_change
from holdings.models import Item
from tests.factories import PASSWORD, FondsFactory, ItemFactory
from villages import services as unit_services
from villages.models import CustodyChange, CustodyMode

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def item(network):
    fonds = FondsFactory(code="C101", creating_unit=network.village_a1)
    return ItemFactory(fonds=fonds, title="村民代表会议记录")


def test_keeping_by_the_township_moves_the_records_and_who_edits_them(
    item, network, township_officer, village_archivist
):
    change = custody_change(
        actor=township_officer,
        village=network.village_a1,
        mode=CustodyMode.TOWNSHIP,
        effective_date=DAY,
        reason="镇政〔2026〕8号：村档乡管",
    )
    assert (change.keeper, change.previous_mode, change.mode) == (network.township_a, "", "township")
    network.village_a1.refresh_from_db()
    assert network.village_a1.custody_mode == CustodyMode.TOWNSHIP
    moved = Item.objects.get(pk=item.pk)
    assert (moved.custodian_unit, moved.creating_unit) == (network.township_a, network.village_a1)
    # The village still reads what it created, but no longer edits it; the township does.
    assert Item.objects.restrict(village_archivist).filter(pk=item.pk).exists()
    with pytest.raises(PermissionDenied):
        services.record_update(record=moved, actor=village_archivist, title="改")
    services.record_update(record=moved, actor=township_officer, title="村民代表会议记录（一）")
    event = AuditEvent.objects.filter(action="unit.custody").latest("seq")
    assert event.data["custody_mode"] == [None, "township"] and event.data["fonds"] == ["C101"]
    assert event.reason == "镇政〔2026〕8号：村档乡管"
    # Recording the same again is refused, not a second record.
    with pytest.raises(ValidationError):
        custody_change(
            actor=township_officer,
            village=network.village_a1,
            mode=CustodyMode.TOWNSHIP,
            effective_date=DAY,
            reason="再次",
        )
    assert CustodyChange.objects.count() == 1


def test_entrusting_to_the_archive_needs_reach_there(item, network, township_officer, county_admin):
    with pytest.raises(PermissionDenied):  # the township cannot hand records to the archive
        custody_change(
            actor=township_officer,
            village=network.village_a1,
            mode=CustodyMode.ENTRUSTED,
            keeper=network.archive,
            effective_date=DAY,
            reason="托管",
        )
    assert Item.objects.get(pk=item.pk).custodian_unit == network.village_a1  # nothing moved
    assert not CustodyChange.objects.exists()
    with pytest.raises(ValidationError) as no_keeper:
        custody_change(
            actor=county_admin,
            village=network.village_a1,
            mode=CustodyMode.ENTRUSTED,
            effective_date=DAY,
            reason="托管",
        )
    assert "keeper" in no_keeper.value.message_dict
    custody_change(
        actor=county_admin,
        village=network.village_a1,
        mode=CustodyMode.ENTRUSTED,
        keeper=network.archive,
        effective_date=DAY,
        reason="区档案馆托管",
    )
    assert Item.objects.get(pk=item.pk).custodian_unit == network.archive


def test_bad_requests_are_refused_with_reasons(item, network, township_officer, village_archivist):
    with pytest.raises(ValidationError) as bad:
        custody_change(
            actor=township_officer,
            village=network.village_a1,
            mode=CustodyMode.TOWNSHIP,
            effective_date=dt.date.today() + dt.timedelta(days=30),
            reason=" ",
        )
    assert {"effective_date", "reason"} <= set(bad.value.message_dict)
    with pytest.raises(PermissionDenied):  # a village does not decide its own custody
        custody_change(
            actor=village_archivist,
            village=network.village_a1,
            mode=CustodyMode.TOWNSHIP,
            effective_date=DAY,
            reason="x",
        )
    with pytest.raises(PermissionDenied):  # another township's village
        custody_change(
            actor=township_officer,
            village=network.village_b1,
            mode=CustodyMode.TOWNSHIP,
            effective_date=DAY,
            reason="x",
        )
    with pytest.raises(ValidationError):  # never silently through the unit's edit form or API
        unit_services.unit_update(unit=network.village_a1, actor=township_officer, custody_mode=CustodyMode.TOWNSHIP)


def test_the_custody_page_records_a_change_and_shows_the_history(
    client, item, network, township_officer, village_archivist
):
    client.login(username=township_officer.username, password=PASSWORD)
    url = reverse("holdings:custody", args=[network.village_a1.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"mode": "township", "effective_date": "2026-03-01", "reason": "镇政〔2026〕8号"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    history = page.split('data-testid="custody-history"')[1]
    assert "镇政〔2026〕8号" in history and "村档乡管" in history and "青石镇" in history
    again = client.post(url, {"mode": "township", "effective_date": "2026-03-01", "reason": "再次"})
    assert again.status_code == 200 and 'data-testid="form-errors"' in again.content.decode()
    assert client.get(reverse("holdings:custody", args=[network.village_b1.pk])).status_code == 404
    client.logout()
    client.login(username=village_archivist.username, password=PASSWORD)
    assert 'data-testid="custody-save"' not in client.get(url).content.decode()  # reads, cannot change
    assert client.post(url, {"mode": "own_room", "effective_date": "2026-03-02", "reason": "x"}).status_code == 403


def test_a_change_dated_before_the_last_one_is_refused(item, network, county_admin):
    custody_change(
        actor=county_admin,
        village=network.village_a1,
        mode=CustodyMode.ENTRUSTED,
        keeper=network.village_a2,
        effective_date=DAY,
        reason="托管给石门村",
    )
    for date in (DAY - dt.timedelta(days=1), dt.date(1, 1, 1)):
        with pytest.raises(ValidationError) as early:  # the history would name the wrong keeper
            custody_change(
                actor=county_admin,
                village=network.village_a1,
                mode=CustodyMode.ENTRUSTED,
                keeper=network.archive,
                effective_date=date,
                reason="改为档案馆",
            )
        assert "effective_date" in early.value.message_dict
    assert Item.objects.get(pk=item.pk).custodian_unit == network.village_a2
