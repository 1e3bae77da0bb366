"""Session renewal, language selection, JSON errors on the API and NUL characters refused.

Language selection: the UI is Chinese unless the user chose English; the API follows
``Accept-Language`` so other systems get errors in the language they ask for."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from rest_framework.response import Response

from archives_site.api.errors import error_body
from archives_site.errors import bad_request_page

API_PREFIX = "/api/"


class SessionRenewalMiddleware:
    """A session in use stays alive: its expiry (``SESSION_COOKIE_AGE``, the idle limit) is
    renewed, but written at most once per ``SESSION_RENEW_SECONDS``, not on every request.

    Goes right after ``SessionMiddleware``, which saves the session (and sends its cookie with the
    new expiry) when this marks it modified. Requests without a session cookie (the API with a
    token) never load or write a session.
    """

    STAMP = "_renewed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES or session.is_empty():
            return response
        now = int(time.time())
        if session.modified or now - session.get(self.STAMP, 0) >= settings.SESSION_RENEW_SECONDS:
            session[self.STAMP] = now  # modified: SessionMiddleware saves it with a fresh expiry
        return response


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


class ApiErrorMiddleware:
    """Every error on ``/api/`` is JSON ``{"detail", "code"}``, never an HTML page.

    DRF's views answer their own errors (archives_site.api.errors). What reaches here as HTML is
    Django's: an unexpected exception (its 500 page, the debug page with ``DEBUG``), an unknown
    address, a refused request. Django has already logged the exception (and told
    ``got_request_exception``) when it made that page; this only replaces the body.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not isinstance(response, Response)
            and "json" not in response.get("Content-Type", "")
        ):
            replaced = JsonResponse(error_body(response.status_code), status=response.status_code)
            for header in ("Allow", "Content-Language", "Vary"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response


class NulCharacterMiddleware:
    """A NUL character in the query string or a form body is refused with a clear 400.

    No text of this system holds one, and PostgreSQL cannot store or compare one: left in, it
    fails deep inside a query (a 500). JSON on ``/api/``, a plain page elsewhere. JSON bodies
    and file uploads are left to their parsers (serializer text fields refuse NUL themselves).
    """

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request.GET) or (
            request.content_type == self.FORM and request.method != "GET" and self._has_nul(request.POST)
        ):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _has_nul(data: QueryDict) -> bool:
        return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        message = _("The request contains a NUL character (U+0000), which no field accepts. Remove it and try again.")
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": str(message), "code": "nul_character"}, status=400)
        return bad_request_page(request, message)
