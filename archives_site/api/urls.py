"""``/api/v1/``: one router holding every app's resources; schema and docs beside them, for
signed-in users only (session or token)."""

from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from django.urls import include, path
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from holdings.api.urls import router as holdings_router
from inspections.api.urls import router as inspections_router
from villages.api.urls import router as villages_router

from .auth import TokenRevokeView, TokenRotateView, TokenView
from .workdays import router as workdays_router

router = DefaultRouter()
for app_router in (villages_router, holdings_router, inspections_router, workdays_router):
    router.registry.extend(app_router.registry)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema: it describes every resource and filter, so only for signed-in users."""

    permission_classes = [IsAuthenticated]


# Swagger UI sets a few inline styles; its script comes from the same URL (the "split" view),
# so the page needs no inline script.
@method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="dispatch")
class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI over the schema; a browser that is not signed in is sent to the login page."""

    permission_classes = [IsAuthenticated]

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)

    def get_authenticate_header(self, request: Any) -> str:
        return "Token"


urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("v1/auth/token/rotate/", TokenRotateView.as_view(), name="api-token-rotate"),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]
