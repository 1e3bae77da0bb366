"""Error pages (400, 403, 404, 405, 500 and a refused CSRF check): Chinese, inside the site layout, saying
why and offering a way back — in production and in trial mode alike.

Django answers with its technical pages (tracebacks, settings, URL lists) whenever ``DEBUG`` is on.
A trial (``make run``) is used by archivists, not only by developers, so :class:`FriendlyErrorsMiddleware`
puts the same pages in their place there too; a developer who wants Django's pages sets
``TECHNICAL_ERROR_PAGES=1`` (read only when ``DEBUG`` is on).

The 500 page never touches the database nor the context processors: it must render whatever
broke. It names a reference that is also written into the log line carrying the traceback
(:class:`ErrorReferenceFilter`), so a user can quote it to whoever reads the logs.

JSON errors on ``/api/`` stay with ``archives_site.middleware.ApiErrorMiddleware`` and
``archives_site.api.errors``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
TEMPLATE = "errors/error.html"
# Every technical page of Django (404, 500, CSRF) carries this tag; no page of this site does.
TECHNICAL_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'
# Namespaces whose pages show one record (or a list of them): "not found" there means a record.
RECORD_NAMESPACES = {"holdings"}


def new_reference() -> str:
    """A short code a user can read out over the phone (8 hex digits)."""
    return secrets.token_hex(4).upper()


def error_reference(request: HttpRequest) -> str:
    """The reference of this request's server error, made once."""
    reference = getattr(request, "error_reference", None)
    if not reference:
        reference = new_reference()
        request.error_reference = reference  # type: ignore[attr-defined]
    return reference


class ErrorReferenceFilter(logging.Filter):
    """Adds the error reference shown on the 500 page to Django's log line of that error
    (``django.request``, the one with the traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        reference = getattr(getattr(record, "request", None), "error_reference", None)
        if reference and getattr(record, "status_code", 0) >= 500 and "[reference " not in str(record.msg):
            record.msg = f"{record.msg} [reference {reference}]"
        return True


def _back_url(request: HttpRequest) -> str:
    """Where "back" leads: the page the user came from on this site, else the home page."""
    referer = request.META.get("HTTP_REFERER", "")
    if (
        referer
        and referer != request.build_absolute_uri()
        and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return referer
    return reverse("home")


def _safe_back_url(request: HttpRequest) -> str:
    try:
        return _back_url(request)
    except Exception:  # the 500 page renders whatever broke (a bad Host header, the URLconf)
        return ""


def _page(
    request: HttpRequest, status: int, *, heading: str, reasons: list[str], advice: str, reference: str = ""
) -> HttpResponse:
    """An error page with the full site layout (navigation of the signed-in user)."""
    context = {
        "status": status,
        "heading": heading,
        "reasons": reasons,
        "advice": advice,
        "reference": reference,
        "back_url": _back_url(request),
    }
    response = HttpResponse(loader.render_to_string(TEMPLATE, context, request), status=status)
    response.error_page = True  # type: ignore[attr-defined]
    return response


def _record_page(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and bool(set(match.namespaces) & RECORD_NAMESPACES)


def _exception_message(exception: BaseException | None) -> str:
    """The sentence a view gave with its PermissionDenied (our services give Chinese ones)."""
    if exception is None or not exception.args or not isinstance(exception.args[0], str | Promise):
        return ""
    return str(exception.args[0]).strip()


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler400: a request the site cannot take (a malformed form, an odd address)."""
    return bad_request_page(request)


def bad_request_page(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The 400 page, with ``reason`` when the caller knows what was wrong."""
    return _page(
        request,
        400,
        heading=_("The request could not be processed"),
        reasons=[reason or _("The address or the form data sent is not valid.")],
        advice=_("Go back, check what you entered and try again."),
    )


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler403: the user's roles do not allow this page or action."""
    reason = _exception_message(exception)  # the view's own reason, when it gave one
    if not reason and _record_page(request):
        reason = _("This record is outside your reach, or no longer exists.")
    reasons = [reason or _("Your roles do not allow this page or action.")]
    return _page(
        request,
        403,
        heading=_("You cannot open this page"),
        reasons=reasons,
        advice=_("If your work needs it, ask your unit's administrator for the role."),
    )


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler404: an unknown address, or a record that does not exist or is out of reach (the
    scoped querysets answer both alike, so the page says both)."""
    if getattr(request, "resolver_match", None) is None:
        reason = _("There is no page at this address: the link may be mistyped or out of date.")
    elif _record_page(request):
        reason = _("This record is outside your reach, or no longer exists.")
    else:
        reason = _("What you are looking for is outside your reach, or no longer exists.")
    return _page(
        request,
        404,
        heading=_("Not found"),
        reasons=[reason],
        advice=_("Go back, or search for the record from the list."),
    )


def method_not_allowed(request: HttpRequest, allowed: str = "") -> HttpResponse:
    """A link opened to an address that only takes a form (a button on a page), or the reverse."""
    response = _page(
        request,
        405,
        heading=_("This address is used by a button"),
        reasons=[_("The address takes a form sent from its page and cannot be opened as a link.")],
        advice=_("Go back and use the button on the page."),
    )
    if allowed:
        response["Allow"] = allowed
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent without a valid security token."""
    response = _page(
        request,
        403,
        heading=_("The form has expired"),
        reasons=[
            _(
                "The page was open for too long, or your browser blocks this site's cookies, so the form could not be checked."
            ),
        ],
        advice=_("Reload the page (allow cookies for this site if they are blocked) and send the form again."),
    )
    logger.warning("CSRF check failed: %s %s (%s)", request.method, request.path, reason)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: minimal and safe — no database, no context processors; if even the template
    fails, a plain page with the same words."""
    reference = error_reference(request)
    context = {
        "status": 500,
        "heading": _("Something went wrong"),
        "reasons": [_("The system could not complete this request. The error has been logged.")],
        "advice": _("Try again in a few minutes. If it happens again, tell your administrator the reference below."),
        "reference": reference,
        "back_url": _safe_back_url(request),
        "minimal_shell": True,
        "SITE_NAME": settings.SITE_NAME,
    }
    try:
        body = loader.render_to_string(TEMPLATE, context)
    except Exception:
        logger.exception("The 500 page could not be rendered (reference %s)", reference)
        body = format_html(
            '<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>'
            '<body><main><h1>{}</h1><p>{}</p><p>{}</p><p>{} <strong>{}</strong></p><p><a href="/">{}</a></p></main></body></html>',
            "zh-CN" if (get_language() or "").startswith("zh") else get_language() or "en",
            context["heading"],
            context["heading"],
            context["reasons"][0],
            context["advice"],
            _("Error reference:"),
            reference,
            _("Home"),
        )
    response = HttpResponse(body, status=500)
    response["X-Error-Reference"] = reference
    response.error_page = True  # type: ignore[attr-defined]
    return response


def technical_pages_shown() -> bool:
    """Whether Django's own debug pages answer errors (a developer's choice in trial mode)."""
    return settings.DEBUG and getattr(settings, "TECHNICAL_ERROR_PAGES", False)


class FriendlyErrorsMiddleware:
    """Trial mode (``DEBUG=1``): Django's technical error pages are replaced by the site's own.

    Django decides on them inside its exception handling (``DEBUG`` read there), so the page is
    swapped afterwards: a response carrying the technical pages' mark, or a 404 for an address
    that matched no page. Django has logged the error by then; the reference of a 500 is made in
    :meth:`process_exception`, before that log line is written. In production (``DEBUG=0``) the
    handlers in ``archives_site.urls`` answer, and this only gives a 405 (a link opened to an
    address that takes a form, which Django answers with an empty page) the site's page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        api = request.path.startswith(API_PREFIX)
        if response.status_code == 405 and not api and not getattr(response, "error_page", False):
            # Django's require_POST answers with an empty page, in production too.
            return method_not_allowed(request, response.get("Allow", ""))
        if not settings.DEBUG or technical_pages_shown() or api:
            return response
        if response.status_code < 400 or getattr(response, "error_page", False):
            return response
        technical = not getattr(response, "streaming", False) and TECHNICAL_MARK in response.content
        unmatched = response.status_code == 404 and getattr(request, "resolver_match", None) is None
        if not (technical or unmatched):
            return response
        try:
            return self.replacement(response.status_code)(request)
        except Exception:  # as Django does when an error handler fails: the minimal 500 page
            logger.exception("The %s page failed: %s %s", response.status_code, request.method, request.path)
            return server_error(request)

    @staticmethod
    def replacement(status: int) -> Callable[[HttpRequest], HttpResponse]:
        pages: dict[int, Callable[[HttpRequest], HttpResponse]] = {
            400: bad_request,
            403: permission_denied,
            404: page_not_found,
        }
        return pages.get(status, server_error if status >= 500 else bad_request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if settings.DEBUG and not technical_pages_shown():
            error_reference(request)
        return None
