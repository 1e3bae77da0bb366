from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LookupConfig(AppConfig):
    """Remote lookup points, lookup requests and certificates (arrives in a later issue)."""

    name = "lookup"
    verbose_name = _("Lookup")
