"""Roles and the one matrix of what each role may do (DESIGN §4).

A role is assigned on a unit (``RoleAssignment``). Its *reach* for a resource and action is one of:

- ``SUBTREE``: the unit it is assigned on and all units below it;
- ``SUBTREE_AND_ANCESTORS``: the same plus the units above it (names for navigation only —
  used for the ``unit`` resource, never for holdings);
- ``ALL``: every unit of the installation.

A resource or action absent from a role's row is not allowed at all (403 in the API).
Later apps add their resources here (``lookup``, ``inspection`` …) — one place, one matrix.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from archives_site.scoping import Action


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("County administrator")
    ARCHIVIST = "archivist", _("Archivist")
    TOWNSHIP_OFFICER = "township_officer", _("Township officer")
    VILLAGE_ARCHIVIST = "village_archivist", _("Village archivist")
    LOOKUP_OPERATOR = "lookup_operator", _("Lookup operator")
    INSPECTOR = "inspector", _("Inspector")
    EXTERNAL_SYSTEM = "external_system", _("External system")


class Reach(StrEnum):
    SUBTREE = "subtree"
    SUBTREE_AND_ANCESTORS = "subtree_and_ancestors"
    ALL = "all"


# Resources of the matrix. Models name theirs in ``ScopePolicy.resource``.
UNIT = "unit"
ROLE_ASSIGNMENT = "role_assignment"
HOLDINGS = "holdings"
# Classified (密级), controlled and deferred records: an extra right on top of HOLDINGS.
RESTRICTED_HOLDINGS = "restricted_holdings"
# The county's reference template (scoped by its county: read from below, written at the county).
CATALOGUE_TEMPLATE = "catalogue_template"
# A village's filing catalogue (归档清单) and its entries.
VILLAGE_CATALOGUE = "village_catalogue"
# A unit's archive room: facilities, checklists with evidence, staff, climate log.
ARCHIVE_ROOM = "archive_room"
# Open records the archive pushes down to a village or township (推送).
RECORD_PUSH = "record_push"
# The working-day calendar (工作日历, archives_site.workdays): one for the installation, no unit;
# every staff role reads it (deadlines), only the county administrator keeps it.
WORKDAY_CALENDAR = "workday_calendar"

V, A, C, D = Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE
_S, _SA, _ALL = Reach.SUBTREE, Reach.SUBTREE_AND_ANCESTORS, Reach.ALL

PERMISSIONS: dict[Role, dict[str, dict[Action, Reach]]] = {
    Role.COUNTY_ADMIN: {
        UNIT: {V: _ALL, A: _ALL, C: _ALL, D: _ALL},
        ROLE_ASSIGNMENT: {V: _ALL, A: _ALL, D: _ALL},
        HOLDINGS: {V: _ALL, A: _ALL, C: _ALL, D: _ALL},
        RESTRICTED_HOLDINGS: {V: _ALL},
        CATALOGUE_TEMPLATE: {V: _ALL, A: _ALL, C: _ALL},
        VILLAGE_CATALOGUE: {V: _ALL, A: _ALL, C: _ALL},
        ARCHIVE_ROOM: {V: _ALL, A: _ALL, C: _ALL, D: _ALL},
        RECORD_PUSH: {V: _ALL, A: _ALL, C: _ALL},
        WORKDAY_CALENDAR: {V: _ALL, A: _ALL, C: _ALL, D: _ALL},
    },
    Role.ARCHIVIST: {
        # Reads all holdings; writes what the archive (its unit) holds.
        UNIT: {V: _ALL},
        ROLE_ASSIGNMENT: {V: _S},
        HOLDINGS: {V: _ALL, A: _S, C: _S, D: _S},
        RESTRICTED_HOLDINGS: {V: _ALL},
        # The archive's guidance staff keep the county template; they read every catalogue.
        CATALOGUE_TEMPLATE: {V: _ALL, A: _ALL, C: _ALL},
        VILLAGE_CATALOGUE: {V: _ALL},
        # Keeps its own room; reads every room (guidance, inspections). Pushes open records down.
        ARCHIVE_ROOM: {V: _ALL, A: _S, C: _S, D: _S},
        RECORD_PUSH: {V: _ALL, A: _S, C: _S},
        WORKDAY_CALENDAR: {V: _ALL},
    },
    Role.TOWNSHIP_OFFICER: {
        UNIT: {V: _SA, C: _S},
        ROLE_ASSIGNMENT: {V: _S, A: _S, D: _S},
        HOLDINGS: {V: _S, A: _S, C: _S, D: _S},
        RESTRICTED_HOLDINGS: {V: _S},
        CATALOGUE_TEMPLATE: {V: _SA},
        VILLAGE_CATALOGUE: {V: _S, A: _S, C: _S},
        ARCHIVE_ROOM: {V: _S, A: _S, C: _S, D: _S},
        RECORD_PUSH: {V: _S},
        WORKDAY_CALENDAR: {V: _ALL},
    },
    Role.VILLAGE_ARCHIVIST: {
        UNIT: {V: _SA},
        ROLE_ASSIGNMENT: {V: _S},
        # Files and edits; filed items are never deleted (withdrawn or destroyed instead).
        HOLDINGS: {V: _S, A: _S, C: _S},
        RESTRICTED_HOLDINGS: {V: _S},
        CATALOGUE_TEMPLATE: {V: _SA},
        VILLAGE_CATALOGUE: {V: _S, C: _S},
        ARCHIVE_ROOM: {V: _S, A: _S, C: _S},
        RECORD_PUSH: {V: _S},
        WORKDAY_CALENDAR: {V: _ALL},
    },
    Role.LOOKUP_OPERATOR: {
        UNIT: {V: _SA},
        WORKDAY_CALENDAR: {V: _ALL},
    },
    Role.INSPECTOR: {
        UNIT: {V: _SA},
        HOLDINGS: {V: _S},
        CATALOGUE_TEMPLATE: {V: _SA},
        VILLAGE_CATALOGUE: {V: _S},
        ARCHIVE_ROOM: {V: _S},
        WORKDAY_CALENDAR: {V: _ALL},
    },
    Role.EXTERNAL_SYSTEM: {
        # Only the open catalogue: holdings selectors narrow further by open status.
        UNIT: {V: _SA},
        HOLDINGS: {V: _S},
    },
}

# Roles whose assignments see only open records (开放, unclassified) of these resources: the
# restriction belongs to the assignment (``UnitScope.open_only_ids``), never to the user.
OPEN_ONLY_ROLES = frozenset({Role.EXTERNAL_SYSTEM})
OPEN_ONLY_RESOURCES = frozenset({HOLDINGS})

# Who may grant which roles (always within the granter's ROLE_ASSIGNMENT add reach).
GRANTABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.COUNTY_ADMIN: frozenset(Role),
    Role.TOWNSHIP_OFFICER: frozenset({Role.VILLAGE_ARCHIVIST, Role.LOOKUP_OPERATOR}),
}

# On which kinds of unit each role may be assigned (see villages.models.UnitKind).
ROLE_UNIT_KINDS: dict[Role, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset({"county"}),
    Role.ARCHIVIST: frozenset({"archive"}),
    Role.TOWNSHIP_OFFICER: frozenset({"township", "street"}),
    Role.VILLAGE_ARCHIVIST: frozenset({"village", "community"}),
    Role.LOOKUP_OPERATOR: frozenset({"archive", "township", "street", "village", "community"}),
    Role.INSPECTOR: frozenset({"county", "township", "street"}),
    Role.EXTERNAL_SYSTEM: frozenset({"county", "archive", "township", "street", "village", "community", "department"}),
}


def role_permission_codename(role: str) -> str:
    """The django-guardian object permission on ``Unit`` that mirrors a role assignment."""
    return f"role_{role}"


def reach_for(role: str, resource: str, action: Action) -> Reach | None:
    return PERMISSIONS.get(Role(role), {}).get(resource, {}).get(action)
