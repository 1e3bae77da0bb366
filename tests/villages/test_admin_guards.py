"""Guards of the administration pages found by an adversarial pass: nobody grants themselves a
role, the installation always keeps a county administrator who can log in, odd dates are no 500,
and the forms can save the units a record or unit already has."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from holdings.models import Fonds
from tests.factories import PASSWORD, FondsFactory
from villages import services
from villages.models import Account, AccountKind, RoleAssignment
from villages.roles import Role


@pytest.fixture
def login(client):
    def as_user(user):
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return as_user


def test_nobody_grants_a_role_to_themselves(network, township_officer):
    with pytest.raises(PermissionDenied):
        services.role_assignment_create(
            actor=township_officer, user=township_officer, role=Role.LOOKUP_OPERATOR, unit=network.township_a
        )
    assert RoleAssignment.objects.filter(user=township_officer).count() == 1


def test_a_county_administrator_cannot_become_a_service_account(network, county_admin):
    second = services.user_create(
        actor=county_admin, username="ca2", full_name="第二管理员", role=Role.COUNTY_ADMIN, unit=network.county
    )[0]
    with pytest.raises(ValidationError):  # not their own account…
        services.user_update(actor=second, user=second, kind=AccountKind.SERVICE)
    with pytest.raises(ValidationError):  # …nor another county administrator's
        services.user_update(actor=second, user=county_admin, kind=AccountKind.SERVICE)
    assert not Account.objects.filter(kind=AccountKind.SERVICE).exists()


def test_the_unit_holding_the_last_county_administrator_stays_active(login, network, county_admin):
    response = login(county_admin).post(
        reverse("villages:unit-update", args=[network.county.pk]),
        {"code": network.county.code, "name": network.county.name, "kind": network.county.kind},  # is_active unticked
    )
    assert response.status_code == 200 and 'data-testid="form-errors"' in response.content.decode()
    network.county.refresh_from_db()
    assert network.county.is_active


def test_a_deactivated_unit_is_logged_as_deactivated(network, county_admin):
    from archives_site.models import AuditEvent

    services.unit_update(unit=network.village_b1, actor=county_admin, is_active=False)
    assert AuditEvent.objects.filter(action="unit.deactivate", object_id=str(network.village_b1.pk)).exists()


@pytest.mark.parametrize("url", ["audit-list", "audit-export"])
def test_the_last_day_there_is_as_an_end_date_is_no_error(login, county_admin, url):
    args = ["csv"] if url == "audit-export" else []
    response = login(county_admin).get(reverse(url, args=args), {"date_to": "9999-12-31"})
    assert response.status_code == 200


def test_the_keeper_edits_a_fonds_whose_creating_unit_it_does_not_keep(login, network, county_archivist):
    fonds = FondsFactory(code="J005", name="区民政局", creating_unit=network.department, custodian_unit=network.archive)
    response = login(county_archivist).post(
        reverse("holdings:fonds-update", args=[fonds.pk]),
        {
            "code": "J005",
            "name": "青溪区民政局",
            "creating_unit": network.department.pk,
            "custodian_unit": network.archive.pk,
        },
    )
    assert response.status_code == 302
    assert Fonds.objects.get(pk=fonds.pk).name == "青溪区民政局"


def test_a_township_officer_saves_their_own_township(login, network, township_officer):
    township = network.township_a
    response = login(township_officer).post(
        reverse("villages:unit-update", args=[township.pk]),
        {
            "parent": network.county.pk,
            "code": township.code,
            "name": "青石镇人民政府",
            "kind": township.kind,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    township.refresh_from_db()
    assert township.name == "青石镇人民政府" and township.parent == network.county


def test_revoking_follows_the_same_reach_as_granting(network, township_officer, county_admin, login):
    """A township officer may not revoke a role from an account that also works elsewhere (as they
    may not grant it one); the pages offer no button there."""
    both = services.user_create(
        actor=county_admin, username="both", full_name="两地", role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )[0]
    services.role_assignment_create(actor=county_admin, user=both, role=Role.VILLAGE_ARCHIVIST, unit=network.village_b1)
    here = RoleAssignment.objects.get(user=both, unit=network.village_a1)
    with pytest.raises(PermissionDenied):
        services.role_assignment_delete(actor=township_officer, assignment=here)
    assert RoleAssignment.objects.filter(pk=here.pk).exists()
    page = login(township_officer).get(reverse("villages:unit-detail", args=[network.village_a1.pk]))
    assert reverse("villages:role-revoke", args=[here.pk]) not in page.content.decode()
    login(township_officer).post(reverse("villages:role-revoke", args=[here.pk]))
    assert RoleAssignment.objects.filter(pk=here.pk).exists()
    services.role_assignment_delete(actor=county_admin, assignment=here)  # the county may
    assert not RoleAssignment.objects.filter(pk=here.pk).exists()


def test_a_page_number_that_is_no_number_shows_the_first_page(network, county_admin, login):
    for url in (reverse("villages:unit-list"), reverse("villages:role-list"), reverse("holdings:fonds-list")):
        for page in ("abc", "0", "99999999999999999999"):
            assert login(county_admin).get(url, {"page": page}).status_code == 200, (url, page)


def test_a_crafted_choice_is_refused_without_echoing_the_code(network, county_admin, login):
    client = login(county_admin)
    form = client.get(reverse("villages:user-create")).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
    response = client.post(
        reverse("villages:user-create"),
        {
            "nonce": nonce,
            "username": "x1",
            "full_name": "某人",
            "kind": "person",
            "role": "no_such_role",
            "unit": network.village_a1.pk,
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "请从列表中选择一项" in body
    assert "no_such_role" not in body


def test_a_service_account_is_the_countys_to_administer(network, township_officer, county_admin, login):
    """Tokens, passwords and activity of another system's account: the county administrator's."""
    api_account = services.user_create(
        actor=county_admin, username="api1", full_name="", role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )[0]
    services.user_update(actor=county_admin, user=api_account, kind=AccountKind.SERVICE)
    assert not services.may_administer(actor=township_officer, user=api_account)
    with pytest.raises(PermissionDenied):
        services.service_token_issue(actor=township_officer, user=api_account)
    with pytest.raises(PermissionDenied):
        services.user_password_reset(actor=township_officer, user=api_account)
    services.service_token_issue(actor=county_admin, user=api_account)  # the county may


def test_a_revoke_that_would_be_refused_offers_no_confirmation(network, township_officer, county_admin, login):
    both = services.user_create(
        actor=county_admin, username="both2", full_name="", role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1
    )[0]
    services.role_assignment_create(actor=county_admin, user=both, role=Role.VILLAGE_ARCHIVIST, unit=network.village_b1)
    here = RoleAssignment.objects.get(user=both, unit=network.village_a1)
    assert login(township_officer).get(reverse("villages:role-revoke", args=[here.pk])).status_code == 403


def test_granting_twice_is_a_clear_refusal(network, county_admin):
    user = services.user_create(actor=county_admin, username="g2", full_name="")[0]
    services.role_assignment_create(actor=county_admin, user=user, role=Role.LOOKUP_OPERATOR, unit=network.village_a1)
    with pytest.raises(ValidationError):
        services.role_assignment_create(
            actor=county_admin, user=user, role=Role.LOOKUP_OPERATOR, unit=network.village_a1
        )
    assignment = RoleAssignment.objects.get(user=user)
    services.role_assignment_delete(actor=county_admin, assignment=assignment)
    with pytest.raises(ValidationError):  # the same revoke again (a second click at the same moment)
        services.role_assignment_delete(actor=county_admin, assignment=assignment)
