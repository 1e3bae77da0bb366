"""What the administration pages share: one-time forms, service refusals as messages, the safe
way back. (Refusals shown on a form: ``archives_site.forms.add_service_errors``.)"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

NONCE_SESSION_KEY = "villages_form_nonces"
NONCES_KEPT = 20


def form_nonce(request: HttpRequest) -> str:
    """A one-time key for a form whose result is shown once (a new password, a token): the
    second submission of the same page is refused instead of silently making another."""
    nonce = secrets.token_urlsafe(16)
    kept = [*request.session.get(NONCE_SESSION_KEY, [])[-(NONCES_KEPT - 1) :], nonce]
    request.session[NONCE_SESSION_KEY] = kept
    return nonce


def spend_nonce(request: HttpRequest) -> bool:
    """Whether the POST carries a key issued by :func:`form_nonce` and not used yet (it is used now)."""
    nonce = request.POST.get("nonce", "")
    kept = request.session.get(NONCE_SESSION_KEY, [])
    if not nonce or nonce not in kept:
        return False
    request.session[NONCE_SESSION_KEY] = [n for n in kept if n != nonce]
    return True


def error_text(exc: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one sentence for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or str(_("You may not do this."))


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address of the request when it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def positive_int(value: Any) -> int | None:
    """A query parameter as an id, or None (text, negative or absurd numbers)."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
