import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from archives_site.models import ApiToken
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
UNITS_URL = "/api/v1/units/"


@pytest.fixture
def bob(village_archivist):
    """A village archivist: the unit list answers 200 for a live token, 401 for a dead one."""
    return village_archivist


def _token_client(api, key):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _issue(api, username="village_archivist", password=PASSWORD):
    response = api().post(TOKEN_URL, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_token_works_and_only_its_hash_is_stored(api, bob):
    key = _issue(api)
    assert _token_client(api, key).get(UNITS_URL).status_code == 200
    stored = ApiToken.objects.get(user=bob)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))


def test_each_call_issues_a_new_token_and_both_work(api, bob):
    first, second = _issue(api), _issue(api)
    assert first != second
    assert _token_client(api, first).get(UNITS_URL).status_code == 200
    assert _token_client(api, second).get(UNITS_URL).status_code == 200


def test_expired_token_is_refused(api, bob, settings):
    settings.API_TOKEN_TTL_HOURS = 1
    key = _issue(api)
    ApiToken.objects.filter(user=bob).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _token_client(api, key).get(UNITS_URL)
    assert response.status_code == 401


def test_token_expiry_follows_the_setting(api, bob, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    _issue(api)
    expires = ApiToken.objects.get(user=bob).expires_at
    assert timedelta(hours=1, minutes=59) < expires - timezone.now() <= timedelta(hours=2)


def test_revoked_token_stops_working(api, bob):
    key, other = _issue(api), _issue(api)
    client = _token_client(api, key)
    assert client.post(reverse("api-token-revoke")).status_code == 204
    assert client.get(UNITS_URL).status_code == 401
    assert _token_client(api, other).get(UNITS_URL).status_code == 200  # only the caller's token


def test_rotation_gives_a_new_key_and_kills_the_old(api, bob):
    old = _issue(api)
    response = _token_client(api, old).post(reverse("api-token-rotate"))
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    assert _token_client(api, old).get(UNITS_URL).status_code == 401
    assert _token_client(api, new).get(UNITS_URL).status_code == 200


def test_revoke_and_rotate_need_a_token(api, db):
    assert api().post(reverse("api-token-revoke")).status_code == 401
    assert api().post(reverse("api-token-rotate")).status_code == 401


def test_password_change_kills_existing_tokens(api, bob):
    key = _issue(api)
    bob.set_password("a-brand-new-password-9")
    bob.save()
    assert _token_client(api, key).get(UNITS_URL).status_code == 401
    assert _token_client(api, _issue(api, password="a-brand-new-password-9")).get(UNITS_URL).status_code == 200


def test_deactivated_user_token_is_refused(api, bob):
    key = _issue(api)
    bob.is_active = False
    bob.save()
    assert _token_client(api, key).get(UNITS_URL).status_code == 401


def test_session_ends_after_the_idle_timeout(client, bob, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60 == 30 * 60
    client.post(reverse("login"), {"username": "village_archivist", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    session = Session.objects.get()
    # Each request renews the session for the idle time...
    assert session.expire_date - timezone.now() > timedelta(minutes=29)
    # ...and after 30 idle minutes it is over.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_in_use_is_renewed_at_most_once_a_minute(client, bob, settings):
    from django.contrib.sessions.models import Session

    client.post(reverse("login"), {"username": "village_archivist", "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    # Within the renewal interval a page writes nothing (no UPDATE and COMMIT per request)...
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=10))
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date - timezone.now() < timedelta(minutes=11)
    # ...after it, the next request renews the session for the whole idle time.
    settings.SESSION_RENEW_SECONDS = 0
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date - timezone.now() > timedelta(minutes=29)


def test_an_administrator_revokes_tokens_in_the_admin(api, bob, admin_client):
    key = _issue(api)
    token = ApiToken.objects.get(user=bob)
    response = admin_client.post(
        reverse("admin:archives_site_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert _token_client(api, key).get(UNITS_URL).status_code == 401


def test_issue_rotate_and_revoke_are_audited(api, bob):
    from archives_site.models import AuditEvent

    key = _issue(api)
    new = _token_client(api, key).post(reverse("api-token-rotate")).json()["token"]
    _token_client(api, new).post(reverse("api-token-revoke"))
    actions = list(AuditEvent.objects.filter(actor=bob).order_by("seq").values_list("action", flat=True))
    assert actions == ["auth.token", "auth.token_rotate", "auth.token_revoke"]
