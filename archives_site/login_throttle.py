"""Rate limiting of failed logins, per username and per client address (cache-backed).

Used by the browser login form and the API token endpoint alike.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from .audit import client_ip


def _key(request: HttpRequest, username: str) -> str:
    raw = f"{username.strip().lower()}|{client_ip(request) or '-'}"
    return "login-failures:" + hashlib.sha256(raw.encode()).hexdigest()


def is_locked_out(request: HttpRequest, username: str) -> bool:
    return cache.get(_key(request, username), 0) >= settings.LOGIN_FAILURE_LIMIT


def note_failure(request: HttpRequest, username: str) -> None:
    key = _key(request, username)
    cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def clear_failures(request: HttpRequest, username: str) -> None:
    cache.delete(_key(request, username))


def lockout_minutes() -> int:
    return max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
