from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesSiteConfig(AppConfig):
    """Shared bases: the audit log lives here so every app can record events."""

    name = "archives_site"
    verbose_name = _("System")

    def ready(self) -> None:
        from . import auth_events  # noqa: F401  (login/logout audit receivers)
