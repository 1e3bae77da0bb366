"""No request makes the API answer a server error: every refusal is a 4xx with a JSON body
``{"detail", "code"}``, and an unexpected exception is a JSON 500, never an HTML page."""

from __future__ import annotations

import django_filters
import pytest
from django.test import Client

from holdings import filtersets as holdings_filtersets
from holdings.api.views import CategoryViewSet
from holdings.models import Item
from tests.factories import FondsFactory, ItemFactory, RoleAssignmentFactory, UserFactory
from villages import filtersets as villages_filtersets
from villages.models import RoleAssignment
from villages.roles import Role

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000


def _assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["detail"] and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


# --- methods a resource does not have --------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_role_assignments_cannot_be_edited_405(api, county_admin, network, method):
    assignment = RoleAssignmentFactory(user=UserFactory(), role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1)
    response = getattr(api(county_admin), method)(
        f"/api/v1/role-assignments/{assignment.pk}/", {"role": Role.COUNTY_ADMIN}, format="json"
    )
    _assert_json_error(response, 405, "method_not_allowed")
    assert RoleAssignment.objects.get(pk=assignment.pk).role == Role.VILLAGE_ARCHIVIST


def test_role_assignment_delete_still_works_inside_a_transaction(api, county_admin, network):
    assignment = RoleAssignmentFactory(user=UserFactory(), role=Role.VILLAGE_ARCHIVIST, unit=network.village_a1)
    assert api(county_admin).delete(f"/api/v1/role-assignments/{assignment.pk}/").status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()


# --- request bodies --------------------------------------------------------------------------


def test_json_nested_50000_deep_is_400_when_signed_in(api, county_admin):
    response = api(county_admin).generic("POST", "/api/v1/units/", DEEP, content_type="application/json")
    _assert_json_error(response, 400, "too_deep")


def test_json_nested_50000_deep_is_400_on_the_token_endpoint(api):
    response = api().generic("POST", "/api/v1/auth/token/", DEEP, content_type="application/json")
    _assert_json_error(response, 400, "too_deep")


def test_json_nested_a_little_deeper_than_allowed_is_400(api, county_admin):
    body = '{"name": ' + "[" * 40 + "]" * 40 + "}"
    response = api(county_admin).generic("POST", "/api/v1/units/", body, content_type="application/json")
    _assert_json_error(response, 400, "too_deep")


# --- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/items/?q=%00",
        "/api/v1/items/?retention=Y%00",
        "/api/v1/units/?q=%E9%9D%92%00",
        "/api/v1/fonds/?q%00=1",
        "/api/v1/role-assignments/?user=a%00b",
    ],
)
def test_nul_in_the_query_string_is_a_json_400_on_the_api(api, county_archivist, url):
    body = _assert_json_error(api(county_archivist).get(url), 400, "nul_character")
    assert "NUL" in body["detail"]


def test_nul_in_the_query_string_is_a_plain_chinese_page_elsewhere(county_archivist):
    client = Client()
    client.force_login(county_archivist)
    response = client.get("/holdings/items/?q=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "NUL" in response.content.decode() and "请求" in response.content.decode()


def test_nul_in_form_data_is_400(api, county_admin):
    response = api(county_admin).post(
        "/api/v1/units/", "name=%E9%9D%92%00&code=1", content_type="application/x-www-form-urlencoded"
    )
    _assert_json_error(response, 400, "nul_character")


# --- renumber input --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [["年度著录错误"], {"a": 1}, 12, None])
def test_renumber_with_a_reason_that_is_not_text_is_400(api, network, county_archivist, reason):
    fonds = FondsFactory(code="J001", creating_unit=network.archive)
    item = ItemFactory(fonds=fonds)
    response = api(county_archivist).post(
        f"/api/v1/items/{item.pk}/renumber/", {"reason": reason, "year": 2016}, format="json"
    )
    body = _assert_json_error(response, 400, "invalid")
    assert "reason" in body["fields"]
    assert Item.objects.get(pk=item.pk).year == 2015


def test_renumber_with_a_text_reason_moves_the_item(api, network, county_archivist):
    fonds = FondsFactory(code="J001", creating_unit=network.archive)
    item = ItemFactory(fonds=fonds)
    response = api(county_archivist).post(
        f"/api/v1/items/{item.pk}/renumber/", {"reason": "年度著录错误", "year": 2016}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["year"] == 2016


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=-1",
        "year=99999",
        "year=1.5",
        "fonds=abc",
        "fonds=0",
        "fonds=99999999999999999999999999",
        "category=1e400",
        "unit=-5",
        "volume=NaN",
        "open_status=nonsense",
    ],
)
def test_invalid_filter_values_are_400_naming_the_filter(api, county_archivist, query):
    body = _assert_json_error(api(county_archivist).get(f"/api/v1/items/?{query}"), 400, "invalid")
    assert query.split("=")[0] in body["fields"]


@pytest.mark.parametrize("url", ["/api/v1/units/?parent=abc", "/api/v1/role-assignments/?unit=-1"])
def test_invalid_unit_filters_are_400(api, county_admin, url):
    _assert_json_error(api(county_admin).get(url), 400, "invalid")


def test_an_unknown_and_an_out_of_reach_id_both_give_no_rows(api, network, village_archivist):
    """A filter by id does not tell an id that exists out of reach from one that does not exist."""
    client = api(village_archivist)
    out_of_reach = network.village_b1.pk
    unknown = max(network.village_b1.pk, network.department.pk) + 1000
    for filter_url in ("/api/v1/units/?parent={}", "/api/v1/role-assignments/?unit={}"):
        answers = [client.get(filter_url.format(pk)) for pk in (out_of_reach, unknown)]
        assert [r.status_code for r in answers] == [200, 200], filter_url
        assert [r.json()["results"] for r in answers] == [[], []], filter_url


def test_no_filter_lists_the_rows_of_a_related_table():
    """A model choice filter would list every unit/fonds/user in the filter form (and 400 on an
    unknown id): related rows are filtered by plain id (archives_site.filters.IdFilter)."""
    offenders = []
    for module in (holdings_filtersets, villages_filtersets):
        for name, filterset in vars(module).items():
            if isinstance(filterset, type) and issubclass(filterset, django_filters.FilterSet):
                for filter_name, f in filterset.base_filters.items():
                    if isinstance(f, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
                        offenders.append(f"{name}.{filter_name}")
    assert not offenders


# --- anything unexpected ---------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_on_the_api_is_a_json_500(api, county_archivist, settings, monkeypatch, debug):
    settings.DEBUG = debug

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(CategoryViewSet, "list", explode)
    client = api(county_archivist)
    client.raise_request_exception = False
    body = _assert_json_error(client.get("/api/v1/categories/"), 500, "server_error")
    assert "boom" not in body["detail"]


def test_an_unknown_api_address_is_a_json_404(api, county_archivist):
    _assert_json_error(api(county_archivist).get("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.parametrize(
    "query", ["after=abc", "after=0", "after=99999999999999999999999", "page_size=abc", "page_size=0", "page_size=-3"]
)
def test_invalid_page_parameters_are_400_naming_them(api, county_archivist, query):
    body = _assert_json_error(api(county_archivist).get(f"/api/v1/items/?{query}"), 400, "invalid")
    assert query.split("=")[0] in body["fields"]


def test_a_page_size_above_the_maximum_is_capped(api, county_archivist):
    assert api(county_archivist).get("/api/v1/items/?page_size=100000").status_code == 200
