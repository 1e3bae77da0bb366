from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoldingsConfig(AppConfig):
    """Fonds, categories, volumes and items held by the archive and the rooms."""

    name = "holdings"
    verbose_name = _("Holdings")
