"""``/api/v1/``: each app contributes its router's URLs; schema and docs beside them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .auth import TokenView

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("v1/", include("villages.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
