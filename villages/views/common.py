"""What the administration pages share: service refusals as messages, the safe way back.
(Refusals shown on a form: ``archives_site.forms.add_service_errors``; one-time forms:
``archives_site.forms.form_nonce``.)"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


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
