"""The network's panels on the home dashboard (registered in settings.DASHBOARD_PANELS)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from archives_site.scoping import Action, user_can

from . import selectors
from .models import UnitKind
from .roles import Role


def network_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Units in the user's reach, by kind, with a chart."""
    if not user_can(request.user, "unit", Action.VIEW):
        return None
    counts = selectors.unit_kind_counts(user=request.user)
    labels = [str(label) for value, label in UnitKind.choices if counts.get(value)]
    values = [counts[value] for value, _label in UnitKind.choices if counts.get(value)]
    return {
        "title": _("Units in my reach"),
        "figures": [{"label": label, "value": value} for label, value in zip(labels, values, strict=True)],
        "total": sum(values),
        "chart": {"type": "doughnut", "labels": labels, "values": values},
        "link": "villages:unit-list",
    }


def people_panel(request: HttpRequest) -> dict[str, Any] | None:
    """People holding roles in the user's reach, by role."""
    if not user_can(request.user, "role_assignment", Action.VIEW):
        return None
    counts = selectors.role_counts(user=request.user)
    labels = [str(label) for value, label in Role.choices if counts.get(value)]
    values = [counts[value] for value, _label in Role.choices if counts.get(value)]
    return {
        "title": _("People and roles"),
        "figures": [
            {"label": _("Users"), "value": selectors.users_in_reach(user=request.user).count()},
            *({"label": label, "value": value} for label, value in zip(labels, values, strict=True)),
        ],
        "chart": {"type": "bar", "labels": labels, "values": values},
        "link": "villages:role-list",
    }
