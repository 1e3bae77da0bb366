from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.room_list, name="room-list"),
    path("<int:unit_id>/", views.room_detail, name="room-detail"),
    path("<int:unit_id>/edit/", views.room_edit, name="room-edit"),
    path("<int:unit_id>/checks/<str:checklist>/<str:item>/", views.check_edit, name="check-edit"),
    path("<int:unit_id>/staff/new/", views.staff_edit, name="staff-create"),
    path("<int:unit_id>/staff/<int:pk>/", views.staff_edit, name="staff-update"),
    path("<int:unit_id>/staff/<int:staff_pk>/training/", views.training_add, name="training-add"),
    path("<int:unit_id>/climate/", views.climate_log, name="climate"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence-delete"),
    path("evidence/<int:pk>/<str:kind>/", views.evidence_image, name="evidence-image"),
]
