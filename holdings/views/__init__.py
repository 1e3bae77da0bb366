"""Staff pages of the holdings, one module per area: fonds, records (volumes, items, their
forms), exports, statistics and imports. ``holdings.urls`` names them all from here."""

from .completeness import completeness_page, completeness_remind, reminder_acknowledge
from .custody import custody_page
from .exports import export_detail, export_download, export_list, export_requeue, item_export
from .filing import catalogue_page, file_under_entry, page_image
from .fonds import FondsDetailView, FondsListView, fonds_create, fonds_update
from .imports import import_commit, import_detail, import_new, import_report, import_requeue
from .pushes import push_detail, push_list, push_new
from .records import (
    ItemDetailView,
    VolumeDetailView,
    item_create,
    item_list,
    item_renumber,
    item_update,
    volume_create,
    volume_list,
    volume_update,
)
from .statistics import statistics

__all__ = [
    "FondsDetailView",
    "FondsListView",
    "ItemDetailView",
    "VolumeDetailView",
    "catalogue_page",
    "completeness_page",
    "completeness_remind",
    "custody_page",
    "export_detail",
    "export_download",
    "export_list",
    "export_requeue",
    "file_under_entry",
    "fonds_create",
    "fonds_update",
    "import_commit",
    "import_detail",
    "import_new",
    "import_report",
    "import_requeue",
    "item_create",
    "item_export",
    "item_list",
    "item_renumber",
    "item_update",
    "page_image",
    "push_detail",
    "push_list",
    "push_new",
    "reminder_acknowledge",
    "statistics",
    "volume_create",
    "volume_list",
    "volume_update",
]
