"""Fonds are registered and edited on their own pages (no API, no Django admin needed), within
the units whose records the user keeps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from archives_site.models import AuditEvent
from holdings.models import Fonds
from tests.factories import PASSWORD, ItemFactory


@pytest.fixture
def login(client):
    def as_user(user):
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return as_user


def _fields(**overrides):
    return {
        "code": "J009",
        "name": "青溪区民政局",
        "start_year": "1983",
        "end_year": "2010",
        "history": "",
        **overrides,
    }


def test_county_archivist_registers_a_fonds_and_it_is_audited(login, network, county_archivist):
    client = login(county_archivist)
    page = client.get(reverse("holdings:fonds-list")).content.decode()
    assert 'data-testid="fonds-create"' in page and "新建全宗" in page
    response = client.post(
        reverse("holdings:fonds-create"),
        _fields(creating_unit=network.archive.pk, custodian_unit=network.archive.pk),
    )
    fonds = Fonds.objects.get(code="J009")
    assert response.status_code == 302 and response["Location"] == reverse("holdings:fonds-detail", args=[fonds.pk])
    assert fonds.custodian_unit == network.archive and fonds.start_year == 1983
    assert AuditEvent.objects.filter(action="fonds.create", object_id=str(fonds.pk)).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "已建立全宗 J009" in detail and 'data-testid="fonds-edit"' in detail


def test_the_unit_choices_are_the_units_whose_records_the_user_keeps(login, network, village_archivist):
    form = login(village_archivist).get(reverse("holdings:fonds-create")).content.decode()
    assert network.village_a1.name in form
    for unit in (network.county, network.township_a, network.village_b1, network.archive):
        assert f'value="{unit.pk}"' not in form


def test_a_fonds_cannot_be_registered_for_a_unit_out_of_write_reach(login, network, village_archivist):
    client = login(village_archivist)
    response = client.post(
        reverse("holdings:fonds-create"),
        _fields(code="C301", creating_unit=network.county.pk, custodian_unit=network.village_a1.pk),
    )
    assert response.status_code == 200
    assert 'data-testid="form-errors"' in response.content.decode()
    assert not Fonds.objects.filter(code="C301").exists()


def test_sending_the_form_twice_registers_one_fonds(login, network, county_archivist):
    client = login(county_archivist)
    data = _fields(creating_unit=network.archive.pk, custodian_unit=network.archive.pk)
    assert client.post(reverse("holdings:fonds-create"), data).status_code == 302
    again = client.post(reverse("holdings:fonds-create"), data)
    assert again.status_code == 200 and "全宗号" in again.content.decode()
    assert Fonds.objects.filter(code="J009").count() == 1


def test_a_fonds_with_filed_records_keeps_its_number(login, world, village_archivist):
    fonds = world.village_a1_fonds
    ItemFactory(fonds=fonds)
    client = login(village_archivist)
    form = client.get(reverse("holdings:fonds-update", args=[fonds.pk])).content.decode()
    assert "disabled" in form.split('name="code"', 1)[1].split(">", 1)[0]  # shown, locked
    response = client.post(
        reverse("holdings:fonds-update", args=[fonds.pk]),
        _fields(
            code="C777",
            name="青石村股份经济合作社",
            creating_unit=fonds.creating_unit_id,
            custodian_unit=fonds.custodian_unit_id,
        ),
    )
    assert response.status_code == 302
    fonds.refresh_from_db()
    assert fonds.code == "C101" and fonds.name == "青石村股份经济合作社"
    assert AuditEvent.objects.filter(action="fonds.change", object_id=str(fonds.pk)).exists()


def test_a_village_cannot_hand_its_fonds_to_the_county(login, network, world, village_archivist):
    fonds = world.village_a1_fonds
    response = login(village_archivist).post(
        reverse("holdings:fonds-update", args=[fonds.pk]),
        _fields(code=fonds.code, name=fonds.name, creating_unit=network.county.pk, custodian_unit=network.county.pk),
    )
    assert response.status_code == 200
    fonds.refresh_from_db()
    assert fonds.creating_unit == network.village_a1 and fonds.custodian_unit == network.village_a1


def test_people_without_a_filing_role_cannot_open_the_form(login, lookup_operator, world):
    client = login(lookup_operator)
    assert client.get(reverse("holdings:fonds-create")).status_code == 403
    assert client.post(reverse("holdings:fonds-create"), _fields()).status_code == 403
    assert client.get(reverse("holdings:fonds-update", args=[world.village_a1_fonds.pk])).status_code == 403
