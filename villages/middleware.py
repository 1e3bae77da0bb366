"""Sessions are for people (issue 8, item 8).

A service account (another government system) uses the API with a token: a browser session of
one — made before the account became a service account, or by any path around the login form —
is ended on its first request, so it reaches no page and no browser export. A person whose
password an administrator chose is sent to choose their own before anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from archives_site.audit import audit_record

from .models import Account, AccountKind

API_PREFIX = "/api/"
# Pages a person who must change their password can still reach.
_OPEN_WHILE_CHANGING = ("villages:password-change", "logout", "set_language", "javascript-catalog")


class AccountMiddleware:
    """After authentication and messages: refuse service accounts' sessions; ask for a new
    password where an administrator set one. One indexed lookup per signed-in request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            row = Account.objects.filter(user_id=user.pk).values_list("kind", "must_change_password").first()
            if row is not None and row[0] == AccountKind.SERVICE:
                self._end_service_session(request, user)
            elif row is not None and row[1] and not self._open_while_changing(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('villages:password-change')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _end_service_session(request: HttpRequest, user: object) -> None:
        audit_record(
            action="auth.login_refused",
            actor=user,
            obj=user,  # type: ignore[arg-type]
            request=request,
            data={"reason": "service_account", "session": True},
        )
        request.session.flush()
        request.user = AnonymousUser()
        if not request.path.startswith(API_PREFIX):
            messages.error(
                request, _("This is a service account: it works through the API only and cannot use the website.")
            )

    @staticmethod
    def _open_while_changing(request: HttpRequest) -> bool:
        if request.path.startswith(API_PREFIX):
            return True
        return any(request.path == reverse(name) for name in _OPEN_WHILE_CHANGING)
