"""``/api/v1/``: one router holding every app's resources; schema and docs beside them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from holdings.api.urls import router as holdings_router
from villages.api.urls import router as villages_router

from .auth import TokenRevokeView, TokenRotateView, TokenView

router = DefaultRouter()
for app_router in (villages_router, holdings_router):
    router.registry.extend(app_router.registry)

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    path("v1/auth/token/rotate/", TokenRotateView.as_view(), name="api-token-rotate"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
