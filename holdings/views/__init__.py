"""Staff pages of the holdings, one module per area: records (fonds, volumes, items, their
forms), exports, statistics and imports. ``holdings.urls`` names them all from here."""

from .exports import export_detail, export_download, export_list, export_requeue, item_export
from .imports import import_commit, import_detail, import_new, import_report, import_requeue
from .records import (
    FondsDetailView,
    FondsListView,
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
    "export_detail",
    "export_download",
    "export_list",
    "export_requeue",
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
    "statistics",
    "volume_create",
    "volume_list",
    "volume_update",
]
