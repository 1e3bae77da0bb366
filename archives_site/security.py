"""Response headers that keep records out of caches and powerful browser features off.

- :class:`SecurityHeadersMiddleware` adds ``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``)
  to every response and ``Cache-Control: no-store`` to every ``/api/`` response.
- :func:`no_store` / :func:`never_store` / :class:`NoStoreMixin` are for the HTML views that show
  restricted records and for downloads (exports, certificates): neither the browser nor a proxy
  may keep a copy.

The Content-Security-Policy itself comes from django-csp (``settings.CONTENT_SECURITY_POLICY``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import add_never_cache_headers


def no_store(response: HttpResponseBase) -> HttpResponseBase:
    """Mark a response as never to be stored by a browser or proxy; returns it."""
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    response["Pragma"] = "no-cache"  # old proxies
    return response


def never_store(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Decorator form of :func:`no_store` for function views."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return no_store(view(request, *args, **kwargs))

    return wrapped


class NoStoreMixin:
    """Class-based views: every response of the view is :func:`no_store`."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return no_store(super().dispatch(request, *args, **kwargs))  # type: ignore[misc]


def _permissions_policy() -> str:
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in settings.PERMISSIONS_POLICY.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere; no-store on the API (its answers are records and people)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = _permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.permissions_policy)
        if request.path_info.startswith("/api/"):
            no_store(response)
        return response
