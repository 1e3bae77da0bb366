from django.urls import path

from . import views

app_name = "holdings"

urlpatterns = [
    path("fonds/", views.FondsListView.as_view(), name="fonds-list"),
    path("fonds/new/", views.fonds_create, name="fonds-create"),
    path("fonds/<int:pk>/", views.FondsDetailView.as_view(), name="fonds-detail"),
    path("fonds/<int:pk>/edit/", views.fonds_update, name="fonds-update"),
    path("volumes/", views.volume_list, name="volume-list"),
    path("volumes/new/", views.volume_create, name="volume-create"),
    path("volumes/<int:pk>/", views.VolumeDetailView.as_view(), name="volume-detail"),
    path("volumes/<int:pk>/edit/", views.volume_update, name="volume-update"),
    path("items/", views.item_list, name="item-list"),
    path("items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("items/<int:pk>/edit/", views.item_update, name="item-update"),
    path("items/<int:pk>/renumber/", views.item_renumber, name="item-renumber"),
    path("items/export/<str:fmt>/", views.item_export, name="item-export"),
    path("exports/", views.export_list, name="export-list"),
    path("exports/<int:pk>/", views.export_detail, name="export-detail"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
    path("exports/<int:pk>/requeue/", views.export_requeue, name="export-requeue"),
    path("statistics/", views.statistics, name="statistics"),
    path("catalogue/", views.catalogue_page, name="catalogue"),
    path("catalogue/entries/<int:pk>/file/", views.file_under_entry, name="file-under-entry"),
    path("custody/<int:pk>/", views.custody_page, name="custody"),
    path("completeness/", views.completeness_page, name="completeness"),
    path("completeness/<int:pk>/remind/", views.completeness_remind, name="completeness-remind"),
    path("reminders/<int:pk>/acknowledge/", views.reminder_acknowledge, name="reminder-acknowledge"),
    path("pushes/", views.push_list, name="push-list"),
    path("pushes/new/", views.push_new, name="push-new"),
    path("pushes/<int:pk>/", views.push_detail, name="push-detail"),
    path("pages/<int:pk>/<str:kind>/", views.page_image, name="page-image"),
    path("imports/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import-commit"),
    path("imports/<int:pk>/report/", views.import_report, name="import-report"),
    path("imports/<int:pk>/requeue/", views.import_requeue, name="import-requeue"),
]
