import time

import pytest
from asgiref.local import Local
from django.core.cache import caches
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


def _login(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failed_logins_for_made_up_usernames_are_recorded_once_per_address_and_window(client, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a quick burst
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 2
    for i in range(12):
        _login(client, f"nobody-{i}", "guess")
    _login(client, "someone-else", "guess", address="10.0.0.9")
    events = AuditEvent.objects.filter(action="auth.login_failed_unknown").order_by("seq")
    assert [(e.ip, e.data) for e in events] == [
        ("127.0.0.1", {"unknown_usernames": 1}),
        ("10.0.0.9", {"unknown_usernames": 1}),
    ]
    assert not AuditEvent.objects.filter(action="auth.login_failed").exists()

    time.sleep(2.1)  # the next window: one more event, carrying the count of what was left out
    _login(client, "nobody-again", "guess")
    assert AuditEvent.objects.filter(action="auth.login_failed_unknown").latest("seq").data == {"unknown_usernames": 12}


def test_an_account_is_locked_after_failures_from_many_addresses(client, alice, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    for i in range(3):
        assert _login(client, "alice-login", "nope", address=f"10.0.1.{i}").status_code == 200
    response = _login(client, "alice-login", PASSWORD, address="10.0.1.200")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_address_trying_many_usernames_is_throttled(client, alice, settings):
    settings.LOGIN_ADDRESS_USERNAME_LIMIT = 3
    for name in ("admin", "root", "test"):
        assert _login(client, name, "guess", address="10.0.2.1").status_code == 200
    assert _login(client, "alice-login", PASSWORD, address="10.0.2.1").status_code == 429
    assert _login(client, "alice-login", PASSWORD, address="10.0.2.2").status_code == 302


def test_the_token_endpoint_shares_the_account_lock(api, alice, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    anonymous = api()
    for i in range(2):
        response = anonymous.post(
            "/api/v1/auth/token/", {"username": "alice-login", "password": "x"}, REMOTE_ADDR=f"10.0.3.{i}"
        )
        assert response.status_code == 401
    response = anonymous.post(
        "/api/v1/auth/token/", {"username": "alice-login", "password": PASSWORD}, REMOTE_ADDR="10.0.3.99"
    )
    assert response.status_code == 429


@pytest.fixture
def redis_down(settings):
    """The cache points at a port where no Redis listens (as when Redis is down)."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "archives_site.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    caches._settings = caches.settings = caches.configure_settings(None)
    caches._connections = Local()
    yield
    caches._connections = Local()


def test_login_works_while_redis_is_down(client, alice, redis_down, settings, caplog):
    response = _login(client, "alice-login", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert client.get(response["Location"]).status_code == 200
    assert "Redis cache unreachable" in caplog.text


def test_failed_logins_are_still_throttled_while_redis_is_down(client, alice, redis_down, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        assert _login(client, "alice-login", "nope").status_code == 200
    assert _login(client, "alice-login", PASSWORD).status_code == 429
