from django.urls import path

from . import views

app_name = "villages"

urlpatterns = [
    path("", views.UnitListView.as_view(), name="unit-list"),
    path("new/", views.unit_create, name="unit-create"),
    path("<int:pk>/", views.UnitDetailView.as_view(), name="unit-detail"),
    path("<int:pk>/edit/", views.unit_update, name="unit-update"),
    path("<int:pk>/catalogue/", views.catalogue_manage, name="catalogue-manage"),
    path("<int:pk>/catalogue/adopt/", views.catalogue_adopt, name="catalogue-adopt"),
    path("<int:pk>/catalogue/entries/new/", views.catalogue_entry_create, name="catalogue-entry-create"),
    path("catalogue-entries/<int:pk>/edit/", views.catalogue_entry_update, name="catalogue-entry-update"),
    path(
        "catalogue-entries/<int:pk>/applicability/",
        views.catalogue_entry_applicability,
        name="catalogue-entry-applicability",
    ),
    path("templates/", views.template_list, name="template-list"),
    path("templates/start/", views.template_start, name="template-start"),
    path("templates/<int:pk>/", views.template_detail, name="template-detail"),
    path("templates/<int:pk>/edit/", views.template_update, name="template-update"),
    path("templates/<int:pk>/publish/", views.template_publish, name="template-publish"),
    path("templates/<int:pk>/entries/new/", views.template_entry_create, name="template-entry-create"),
    path("templates/entries/<int:pk>/edit/", views.template_entry_update, name="template-entry-update"),
    path("templates/entries/<int:pk>/delete/", views.template_entry_delete, name="template-entry-delete"),
    path("roles/", views.RoleAssignmentListView.as_view(), name="role-list"),
    path("roles/grant/", views.role_grant, name="role-grant"),
    path("roles/<int:pk>/revoke/", views.role_revoke, name="role-revoke"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/edit/", views.user_update, name="user-update"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user-reactivate"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user-password-reset"),
    path("users/<int:pk>/tokens/", views.user_token_issue, name="user-token-issue"),
    path("users/<int:pk>/tokens/<int:token_pk>/revoke/", views.user_token_revoke, name="user-token-revoke"),
    path("password/", views.password_change, name="password-change"),
]
