from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    """Annual inspections of archive rooms (arrives in a later issue)."""

    name = "inspections"
    verbose_name = _("Inspections")
