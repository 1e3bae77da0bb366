from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from . import audit_views, views

# Error pages in Chinese inside the site layout (archives_site.errors; JSON on /api/).
handler400 = "archives_site.errors.bad_request"
handler403 = "archives_site.errors.permission_denied"
handler404 = "archives_site.errors.page_not_found"
handler500 = "archives_site.errors.server_error"

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers and bookmarks ask for /favicon.ico whatever the pages' <link rel="icon"> says.
    path("favicon.ico", views.favicon),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("units/", include("villages.urls")),
    path("holdings/", include("holdings.urls")),
    path("rooms/", include("inspections.urls")),
    path("calendar/", include("archives_site.workday_views")),
    path("audit/", audit_views.audit_list, name="audit-list"),
    path("audit/verify/", audit_views.audit_verify_start, name="audit-verify"),
    path("audit/export/<str:fmt>/", audit_views.audit_export, name="audit-export"),
    path("admin/", admin.site.urls),
    path("api/", include("archives_site.api.urls")),
]
