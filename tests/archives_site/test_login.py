import pytest
from django.urls import reverse

from archives_site.models import AuditEvent
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def alice(db):
    return UserFactory(username="alice-login")


def test_login_and_logout_are_audited(client, alice):
    response = client.post(reverse("login"), {"username": "alice-login", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("logout"))
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "actor_name"))
    assert actions == [("auth.login", "alice-login"), ("auth.logout", "alice-login")]


def test_failed_login_is_audited_without_the_password(client, alice):
    client.post(reverse("login"), {"username": "alice-login", "password": "wrong-password"})
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_name == "alice-login"
    assert event.ip == "127.0.0.1"
    assert "wrong-password" not in str(event.data) + event.reason


def test_repeated_failures_lock_the_form_even_for_the_right_password(client, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.post(reverse("login"), {"username": "alice-login", "password": "nope"}).status_code == 200
    response = client.post(reverse("login"), {"username": "alice-login", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_api_token_is_issued_and_throttled(api, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    anonymous = api()
    ok = anonymous.post("/api/v1/auth/token/", {"username": "alice-login", "password": PASSWORD})
    assert ok.status_code == 200 and len(ok.json()["token"]) == 40
    for _ in range(2):
        assert anonymous.post("/api/v1/auth/token/", {"username": "alice-login", "password": "x"}).status_code == 401
    locked = anonymous.post("/api/v1/auth/token/", {"username": "alice-login", "password": PASSWORD})
    assert locked.status_code == 429
    assert "15" in locked.json()["detail"]


def test_home_requires_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_pages_are_chinese_by_default_even_for_an_english_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "登录" in html


def test_language_switch_turns_the_ui_english(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
