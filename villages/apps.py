from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    """The unit network (county, townships, villages, departments) and role assignments."""

    name = "villages"
    verbose_name = _("Unit network")
