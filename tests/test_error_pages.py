"""Error pages: Chinese, inside the site layout, saying why and offering a way back — in production
(DEBUG=0) and in trial mode (DEBUG=1) alike; never Django's technical or bare English pages.

This module is also the URLconf of its tests: the site's own, plus views that fail on purpose.
"""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from archives_site import urls as site_urls
from tests.factories import FondsFactory, ItemFactory


def _boom(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("secret-detail-in-the-traceback")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("odd header")


urlpatterns = [
    path("test-errors/boom/", _boom),
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/suspicious/", _suspicious),
    *site_urls.urlpatterns,
]
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.fixture
def fonds_of(network):
    """``fonds_of(unit)`` → a fonds created and kept by that unit."""
    return lambda unit, code: FondsFactory(code=code, name=f"{unit.name}全宗", creating_unit=unit)


TECHNICAL = ("Traceback", "URLconf", "DEBUG = True", "secret-detail-in-the-traceback", "Request Method")


@pytest.fixture(autouse=True)
def error_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture(params=[False, True], ids=["production", "trial"])
def mode(request, settings):
    """Each test runs with DEBUG=0 and with DEBUG=1 (the trial of ``make run``)."""
    settings.DEBUG = request.param
    return request.param


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _assert_friendly(response, status: int) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert 'lang="zh-CN"' in body
    assert f'data-status="{status}"' in body, body[:500]
    assert 'class="navbar' in body and "县档案馆" in body  # the site's layout, with its brand
    assert 'data-testid="error-home"' in body
    for leak in TECHNICAL:
        assert leak not in body
    return body


def test_unknown_address_is_a_chinese_404_with_navigation_and_a_way_back(mode, county_archivist):
    response = _client(county_archivist).get("/no/such/page/", HTTP_REFERER="http://testserver/holdings/items/")
    body = _assert_friendly(response, 404)
    assert "该网址没有对应的页面" in body
    assert 'href="http://testserver/holdings/items/"' in body  # back to where the user came from
    assert 'href="/holdings/fonds/"' in body  # the signed-in user's navigation


def test_back_link_never_leads_off_the_site(county_archivist):
    response = _client(county_archivist).get("/no/such/page/", HTTP_REFERER="https://evil.example/phish")
    body = _assert_friendly(response, 404)
    assert "evil.example" not in body


def test_record_out_of_reach_says_it_is_outside_your_reach_or_gone(mode, network, fonds_of, village_archivist):
    other = ItemFactory(fonds=fonds_of(network.village_b1, "C201"))
    body = _assert_friendly(_client(village_archivist).get(f"/holdings/items/{other.pk}/"), 404)
    assert "该档案不在您的权限范围内，或已不存在。" in body
    assert other.title not in body


def test_permission_denied_without_a_reason_is_a_chinese_403(mode, county_archivist):
    body = _assert_friendly(_client(county_archivist).get("/test-errors/forbidden/"), 403)
    assert "无权访问" in body and "您的角色无权查看此页面或进行此操作。" in body


def test_permission_denied_keeps_the_views_own_reason(mode, network, fonds_of, county_archivist):
    village_item = ItemFactory(fonds=fonds_of(network.village_a1, "C101"))
    body = _assert_friendly(_client(county_archivist).get(f"/holdings/items/{village_item.pk}/renumber/"), 403)
    assert "只有" in body or "保管" in body, body  # "Only the unit that keeps this record can renumber it."
    assert "该档案不在您的权限范围内" not in body  # readable: the page must not say it is out of reach


def test_suspicious_request_is_a_chinese_400(mode, county_archivist):
    body = _assert_friendly(_client(county_archivist).get("/test-errors/suspicious/"), 400)
    assert "无法处理该请求" in body


def test_nul_character_is_a_400_in_the_layout(county_archivist):
    body = _assert_friendly(_client(county_archivist).get("/holdings/items/?q=a%00b"), 400)
    assert "U+0000" in body


def test_csrf_failure_says_the_page_was_open_too_long_and_to_reload(mode, db):
    client = Client(enforce_csrf_checks=True)
    body = _assert_friendly(client.post("/accounts/login/", {"username": "x", "password": "y"}), 403)
    assert "表单已失效" in body and "刷新页面" in body and "Cookie" in body


def test_server_error_shows_a_reference_that_the_log_names_and_no_traceback(mode, county_archivist, caplog):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = _client(county_archivist).get("/test-errors/boom/")
    body = _assert_friendly(response, 500)
    reference = response["X-Error-Reference"]
    assert len(reference) == 8 and reference in body
    assert "系统出错了" in body and "错误已记录" in body
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and reference in logged[-1].getMessage()  # the line carrying the traceback


def test_server_error_page_renders_when_the_database_is_down(mode, db):
    broken = OperationalError("connection refused")
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=broken):
        response = _client().get("/test-errors/boom/")
    _assert_friendly(response, 500)


def test_server_error_page_falls_back_to_plain_chinese_when_the_template_fails(mode, db):
    with mock.patch("archives_site.errors.loader.render_to_string", side_effect=RuntimeError("template broke")):
        response = _client().get("/test-errors/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "系统出错了" in body and response["X-Error-Reference"] in body
    assert "template broke" not in body and "Traceback" not in body


def test_a_failing_context_processor_still_gets_the_500_page(mode, county_archivist):
    with mock.patch("archives_site.context_processors.user_can", side_effect=RuntimeError("nav broke")):
        response = _client(county_archivist).get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 500 and "系统出错了" in body and "nav broke" not in body


def test_developers_can_ask_for_djangos_technical_pages_in_trial_mode(settings, county_archivist):
    settings.DEBUG = True
    settings.TECHNICAL_ERROR_PAGES = True
    response = _client(county_archivist).get("/no/such/page/")
    assert response.status_code == 404 and b"URLconf" in response.content


def test_api_errors_stay_json(mode, county_archivist, api):
    response = api(county_archivist).get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_brand_and_title_show_the_installations_name(settings, county_archivist):
    settings.SITE_NAME = "青溪区档案馆"
    body = _client(county_archivist).get("/").content.decode()
    assert "青溪区档案馆</a>" in body
    assert "· 青溪区档案馆</title>" in body
    assert "County archives" not in body


def test_opening_a_buttons_address_as_a_link_is_a_chinese_405(mode, county_admin):
    response = _client(county_admin).get(reverse("audit-verify"))
    body = _assert_friendly(response, 405)
    assert "此地址只能通过页面上的按钮使用" in body
    assert response["Allow"] == "POST"


def test_the_favicon_is_found(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.svg")
