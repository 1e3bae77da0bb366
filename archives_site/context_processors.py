"""The site shell's context: the installation's name, and navigation by role (which sections the
signed-in user sees in the top bar)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from archives_site.scoping import Action, user_can


def site(request: HttpRequest) -> dict[str, Any]:
    """The installation's name (settings.SITE_NAME) for the brand and the page titles."""
    return {"SITE_NAME": settings.SITE_NAME}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "my_roles": []}
    from villages.selectors import user_roles

    from .audit import audit_reach

    items = [{"label": _("Home"), "url": reverse("home"), "icon": "house"}]
    if user_can(user, "holdings", Action.VIEW):
        items.append({"label": _("Fonds"), "url": reverse("holdings:fonds-list"), "icon": "archive"})
        items.append({"label": _("Volumes"), "url": reverse("holdings:volume-list"), "icon": "journals"})
        items.append({"label": _("Items"), "url": reverse("holdings:item-list"), "icon": "search"})
        items.append({"label": _("Statistics"), "url": reverse("holdings:statistics"), "icon": "bar-chart"})
    filing = []
    if user_can(user, "village_catalogue", Action.VIEW):
        filing += [
            {"label": _("Filing catalogue"), "url": reverse("holdings:catalogue"), "icon": "list-check"},
            {"label": _("Filing completeness"), "url": reverse("holdings:completeness"), "icon": "grid-3x3"},
        ]
    if user_can(user, "catalogue_template", Action.VIEW):
        filing.append({"label": _("Reference template"), "url": reverse("villages:template-list"), "icon": "diagram-2"})
    if user_can(user, "archive_room", Action.VIEW):
        filing.append({"label": _("Archive rooms"), "url": reverse("inspections:room-list"), "icon": "building-check"})
    if user_can(user, "record_push", Action.VIEW):
        filing.append({"label": _("Pushed records"), "url": reverse("holdings:push-list"), "icon": "send"})
    if filing:
        active = any(request.path.startswith(entry["url"]) for entry in filing)
        items.append(
            {"label": _("Village filing"), "icon": "house-check", "children": filing, "active": active, "key": "filing"}
        )
    if user_can(user, "holdings", Action.ADD):
        items.append({"label": _("Import"), "url": reverse("holdings:import-new"), "icon": "upload"})
    # Administration: one "Manage" menu when there are several (the bar stays on one line).
    manage = []
    if user_can(user, "unit", Action.VIEW):
        manage.append({"label": _("Unit network"), "url": reverse("villages:unit-list"), "icon": "diagram-3"})
    if user_can(user, "role_assignment", Action.VIEW):
        manage.append({"label": _("Roles"), "url": reverse("villages:role-list"), "icon": "people"})
    if user_can(user, "role_assignment", Action.ADD):
        manage.append({"label": _("People and accounts"), "url": reverse("villages:user-list"), "icon": "person-gear"})
    if user_can(user, "workday_calendar", Action.VIEW):
        manage.append({"label": _("Working-day calendar"), "url": reverse("calendar:year"), "icon": "calendar3"})
    if audit_reach(user):
        manage.append({"label": _("Audit log"), "url": reverse("audit-list"), "icon": "journal-check"})
    if user.is_superuser:  # Django admin is the superusers' alone (archives_site.admin)
        manage.append({"label": _("Django administration"), "url": reverse("admin:index"), "icon": "gear"})
    if len(manage) > 1:
        active = any(request.path.startswith(entry["url"]) for entry in manage)
        items.append({"label": _("Manage"), "icon": "sliders", "children": manage, "active": active})
    else:
        items.extend(manage)
    items.append({"label": _("API"), "url": reverse("api-docs"), "icon": "braces"})
    return {"nav_items": items, "my_roles": user_roles(user=user)}
