"""The network's panels on the home dashboard (registered in settings.DASHBOARD_PANELS; the
panel contract is :mod:`archives_site.dashboard`).

- :func:`people_panel` — for those who grant roles: people by role in their reach, and (county
  administrator) accounts that hold no role yet;
- :func:`network_panel` — for those who administer units: the units in reach by kind;
- :func:`guide_panel` — for roles whose work is not (yet) on the dashboard (lookup operator,
  inspector, external system): what they can do here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from archives_site.dashboard import Chart, Figure, Link, Panel
from archives_site.scoping import Action, user_can, user_scope

from . import selectors
from .models import RoleAssignment, UnitKind
from .roles import HOLDINGS, ROLE_ASSIGNMENT, UNIT, Role

# Where the in-app user administration lives, once a module provides it (first that resolves).
USER_LIST_URLS = ("villages:user-list", "accounts:user-list", "administration:user-list")


def _url(*names: str) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def users_without_roles_count() -> int:
    """Active accounts that hold no role anywhere (superusers, the technical operators, aside):
    people waiting to be given their work."""
    with_roles = RoleAssignment.objects.values("user_id")
    return get_user_model().objects.filter(is_active=True, is_superuser=False).exclude(pk__in=with_roles).count()


def people_panel(request: HttpRequest) -> Panel | None:
    """People holding roles in the user's reach, by role, for those who grant roles."""
    user = request.user
    if not user_can(user, ROLE_ASSIGNMENT, Action.ADD):
        return None
    counts = selectors.role_counts(user=user)
    present = [(value, str(label)) for value, label in Role.choices if counts.get(value)]
    people = pgettext("unit of count", "people")
    role_list = reverse("villages:role-list")
    figures = [
        Figure(
            _("People with a role"), selectors.users_in_reach(user=user).count(), people, role_list, testid="people"
        ),
    ]
    if user_scope(user, ROLE_ASSIGNMENT, Action.ADD).everything:
        users_url = _url(*USER_LIST_URLS)
        figures.append(
            Figure(
                _("Accounts without a role"),
                users_without_roles_count(),
                people,
                users_url,
                tone="warning",
                testid="users-without-roles",
            )
        )
    chart = None
    if len(present) >= 2:  # one bar says nothing a figure does not
        chart = Chart(
            labels=[label for _value, label in present],
            values=[counts[value] for value, _label in present],
            unit=pgettext("unit of count", "assignments"),
            kind="hbar",
            x_label=_("Role assignments"),
            y_label=_("Role"),
            caption=_("Role assignments in my reach by role"),
            urls=[f"{role_list}?{urlencode({'role': value})}" for value, _label in present],
        )
    return Panel(
        key="people",
        title=_("People and roles"),
        figures=figures,
        links=[Link(_("Role assignments"), role_list, "people")],
        chart=chart,
    )


def network_panel(request: HttpRequest) -> Panel | None:
    """Units in the user's reach by kind, for those who administer units."""
    user = request.user
    if not user_can(user, UNIT, Action.CHANGE):
        return None
    counts = selectors.unit_kind_counts(user=user)
    unit_list = reverse("villages:unit-list")
    units = pgettext("unit of count", "units")
    return Panel(
        key="network",
        title=_("Units in my reach"),
        figures=[
            Figure(str(label), counts[value], units, f"{unit_list}?{urlencode({'kind': value})}")
            for value, label in UnitKind.choices
            if counts.get(value)
        ],
        links=[Link(_("Unit network"), unit_list, "diagram-3")],
    )


def _lookup_guide() -> tuple[str, list[Link]]:
    return (
        _(
            "You take citizens' lookup requests at your lookup point. Lookup requests arrive with the "
            "lookup module; until then you can find the units and archive rooms of the county here."
        ),
        [Link(_("Unit network"), reverse("villages:unit-list"), "diagram-3")],
    )


def _inspector_guide() -> tuple[str, list[Link]]:
    return (
        _(
            "You inspect the archive rooms of your units: read their catalogues and statistics here. "
            "Inspection campaigns arrive with the inspections module."
        ),
        [
            Link(_("Statistics"), reverse("holdings:statistics"), "bar-chart"),
            Link(_("Items"), reverse("holdings:item-list"), "search"),
            Link(_("Unit network"), reverse("villages:unit-list"), "diagram-3"),
        ],
    )


def _external_guide() -> tuple[str, list[Link]]:
    return (
        _(
            "This is another system's account: it reads the open catalogue through the API with a "
            "token. The API documentation describes every call."
        ),
        [Link(_("API documentation"), reverse("api-docs"), "braces")],
    )


GUIDES: dict[Role, Callable[[], tuple[str, list[Link]]]] = {
    Role.LOOKUP_OPERATOR: _lookup_guide,
    Role.INSPECTOR: _inspector_guide,
    Role.EXTERNAL_SYSTEM: _external_guide,
}


def guide_panel(request: HttpRequest) -> Panel | None:
    """ "What you can do here" for a user whose roles have no working panel (yet): a lookup
    operator, an inspector, an external system. Staff who file see their work instead."""
    user = request.user
    if user_can(user, HOLDINGS, Action.ADD) or user_can(user, ROLE_ASSIGNMENT, Action.ADD):
        return None
    roles = [Role(value) for value in sorted(selectors.user_role_values(user=user))]
    guides = [GUIDES[role]() for role in roles if role in GUIDES]
    if not guides:
        return None
    links: list[Link] = []
    for _text, guide_links in guides:
        links += [link for link in guide_links if link.url not in {known.url for known in links}]
    return Panel(
        key="guide",
        title=_("What you can do here"),
        intro=" ".join(text for text, _links in guides),
        links=links,
    )
