"""Rate limiting of failed logins (cache-backed), used by the browser login form and the API token
endpoint alike. Within ``LOGIN_FAILURE_WINDOW_SECONDS`` a login is refused, even with the right
password, after

- ``LOGIN_FAILURE_LIMIT`` failures of one username from one address,
- ``LOGIN_ACCOUNT_FAILURE_LIMIT`` failures of one account from any address (guessing spread over
  many addresses), or
- ``LOGIN_ADDRESS_USERNAME_LIMIT`` distinct usernames failed from one address (one address
  trying many accounts).

It also keeps the failed logins of usernames that do not exist out of the audit log but for one
event per address per window (:func:`note_unknown_username`). The cache falls back to local memory
while Redis is down (:mod:`archives_site.cache`), so none of this can stop a login.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .audit import client_ip

# How long failures of unknown usernames accumulate before they must be written (then at the
# first failure of a new window, whatever the gap).
UNKNOWN_TALLY_SECONDS = 7 * 24 * 3600


def _key(kind: str, *parts: str) -> str:
    raw = "|".join(parts)
    return f"login-{kind}:" + hashlib.sha256(raw.encode()).hexdigest()


def _username(username: str) -> str:
    return username.strip().lower()


def _address(request: HttpRequest) -> str:
    return client_ip(request) or "-"


def _count(key: str, timeout: int) -> int:
    """Add one to a counter that expires ``timeout`` seconds after its first count."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def is_locked_out(request: HttpRequest, username: str) -> bool:
    """Whether a login for this username from this request's address is refused for now."""
    name, address = _username(username), _address(request)
    counts = cache.get_many(
        [_key("failures", name, address), _key("account", name), _key("address-usernames", address)]
    )
    return (
        counts.get(_key("failures", name, address), 0) >= settings.LOGIN_FAILURE_LIMIT
        or counts.get(_key("account", name), 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        or counts.get(_key("address-usernames", address), 0) >= settings.LOGIN_ADDRESS_USERNAME_LIMIT
    )


def note_failure(request: HttpRequest, username: str) -> None:
    """Count one failed login against the username+address, the account and the address."""
    name, address = _username(username), _address(request)
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    if _count(_key("failures", name, address), window) == 1:
        _count(_key("address-usernames", address), window)  # a username new for this address
    _count(_key("account", name), window)


def clear_failures(request: HttpRequest, username: str) -> None:
    """A successful login forgets the failures of this username (not the address's tally)."""
    name = _username(username)
    cache.delete_many([_key("failures", name, _address(request)), _key("account", name)])


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)


def note_unknown_username(request: HttpRequest | None) -> int | None:
    """Count a failed login for a username that does not exist, from this request's address.

    Returns how many such failures (this one included) the address has had since its last audit
    event if one is due now — at most once per address per window — else ``None``.
    """
    address = _address(request) if request is not None else "-"
    tally_key = _key("unknown-tally", address)
    count = _count(tally_key, UNKNOWN_TALLY_SECONDS)
    if not cache.add(_key("unknown-window", address), 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
        return None
    cache.delete(tally_key)
    return count
