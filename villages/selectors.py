"""Reads of the unit network, including the one resolution of a user's reach."""

from __future__ import annotations

from collections import Counter
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from archives_site.scoping import EVERYTHING, NOTHING, Action, UnitScope, scope_cache, user_scope

from .models import Account, AccountKind, RoleAssignment, Unit
from .roles import OPEN_ONLY_RESOURCES, OPEN_ONLY_ROLES, ROLE_ASSIGNMENT, Reach, Role, reach_for


def user_assignments(user: Any) -> list[tuple[str, int, str]]:
    """(role, unit id, unit path) of the user's assignments, fetched once per user object."""
    cache = scope_cache(user)
    if "assignments" not in cache:
        cache["assignments"] = list(
            RoleAssignment.objects.filter(user_id=user.pk, unit__is_active=True).values_list(
                "role", "unit_id", "unit__path"
            )
        )
    return cache["assignments"]


def user_unit_scope(*, user: Any, resource: str, action: Action) -> UnitScope:
    """The units ``user`` reaches for ``action`` on ``resource``, by the role matrix.

    Superusers (the technical operator) reach everything. Everyone else reaches exactly the
    union of their role assignments' reaches; no assignment means nothing. The reach of an
    open-only assignment (``OPEN_ONLY_ROLES`` on ``OPEN_ONLY_RESOURCES``) is kept apart, as
    ``open_only_ids``: it shows open rows only, wherever the user's other roles reach nothing.
    """
    if user.is_superuser:
        return EVERYTHING
    cache = scope_cache(user)
    key = (resource, action)
    if key in cache:
        return cache[key]

    paths: dict[bool, set[str]] = {False: set(), True: set()}  # open-only? -> subtree paths
    ancestor_ids: set[int] = set()
    everything = False
    for role, _unit_id, path in user_assignments(user):
        reach = reach_for(role, resource, action)
        if reach is None:
            continue
        open_only = Role(role) in OPEN_ONLY_ROLES and resource in OPEN_ONLY_RESOURCES
        if reach == Reach.ALL and not open_only:
            everything = True
            break
        paths[open_only].add("/" if reach == Reach.ALL else path)
        if reach == Reach.SUBTREE_AND_ANCESTORS and not open_only:
            ancestor_ids.update(int(part) for part in path.strip("/").split("/") if part)
    if everything:
        scope = EVERYTHING
    elif paths[False] or paths[True] or ancestor_ids:
        full = _subtree_ids(paths[False], cache) | ancestor_ids
        scope = UnitScope(unit_ids=frozenset(full), open_only_ids=frozenset(_subtree_ids(paths[True], cache) - full))
    else:
        scope = NOTHING
    cache[key] = scope
    return scope


def _subtree_ids(paths: set[str], cache: dict[Any, Any]) -> set[int]:
    """Ids of the active units at or below any of ``paths`` (one query per set of paths and
    request: the reaches of several resources are mostly the same subtrees)."""
    if not paths:
        return set()
    key = ("subtree", frozenset(paths))
    if key not in cache:
        condition = reduce(or_, (Q(path__startswith=p) for p in paths))
        cache[key] = frozenset(Unit.objects.filter(condition, is_active=True).values_list("id", flat=True))
    return set(cache[key])


def user_roles(*, user: Any) -> list[RoleAssignment]:
    """The user's role assignments with their units, for navigation and the dashboard."""
    return list(RoleAssignment.objects.filter(user_id=user.pk).select_related("unit").order_by("unit__path"))


def user_role_values(*, user: Any) -> set[str]:
    return {role for role, _unit_id, _path in user_assignments(user)}


def unit_list(*, user: Any, kind: str | None = None, q: str | None = None, parent: Unit | None = None):
    """Units the user may see, optionally narrowed by kind, text and parent."""
    qs = Unit.objects.restrict(user, Action.VIEW).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs


def unit_children_counts(*, user: Any, units: list[Unit]) -> dict[int, int]:
    """How many visible children each of ``units`` has (one query)."""
    rows = Unit.objects.restrict(user, Action.VIEW).filter(parent__in=units).values("parent_id").annotate(n=Count("id"))
    return {row["parent_id"]: row["n"] for row in rows}


def unit_kind_counts(*, user: Any) -> Counter[str]:
    rows = Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).values("kind").annotate(n=Count("id"))
    return Counter({row["kind"]: row["n"] for row in rows})


def users_in_reach(*, user: Any):
    """Users holding a role on a unit the user may see role assignments of."""
    visible = RoleAssignment.objects.restrict(user, Action.VIEW)
    return get_user_model().objects.filter(pk__in=visible.values("user_id")).distinct()


def role_counts(*, user: Any) -> Counter[str]:
    rows = RoleAssignment.objects.restrict(user, Action.VIEW).values("role").annotate(n=Count("id"))
    return Counter({row["role"]: row["n"] for row in rows})


def grantable_roles(*, user: Any) -> set[Role]:
    """Roles the user may grant somewhere (the admin forms and API offer only these)."""
    from .roles import GRANTABLE_ROLES

    if user.is_superuser:
        return set(Role)
    result: set[Role] = set()
    for role in user_role_values(user=user):
        result |= GRANTABLE_ROLES.get(Role(role), frozenset())
    return result


# --- accounts (issue 8: administration in the app; accounts that are not people) ------------


def account_home_unit_id(*, user: Any) -> int | None:
    """The narrowest unit covering every unit the account holds a role on (its village, its
    township, or the county when its roles span townships); None without a role. The audit
    trail files account events there, so the officer who administers the account reads them."""
    paths = list(RoleAssignment.objects.filter(user_id=user.pk).values_list("unit__path", flat=True).distinct())
    if not paths:
        return None
    parts = [path.strip("/").split("/") for path in paths]
    common = []
    for ids in zip(*parts, strict=False):
        if len(set(ids)) != 1:
            break
        common.append(ids[0])
    return int(common[-1]) if common else None


def account_kind(*, user: Any) -> str:
    """The user's account kind (:class:`villages.models.AccountKind`); a user without an
    account row is a person."""
    kind = Account.objects.filter(user_id=user.pk).values_list("kind", flat=True).first()
    return kind or AccountKind.PERSON


def is_service_account(user: Any) -> bool:
    """Whether ``user`` is another system's account (API only: no web login, no browser exports)."""
    return getattr(user, "pk", None) is not None and account_kind(user=user) == AccountKind.SERVICE


def users_in_grant_reach(*, actor: Any, with_a_role_inside: bool = True):
    """The accounts ``actor`` reaches as an administrator: everyone for the county level; below
    it, accounts that are no technical operator's (staff, superuser) and whose every role on an
    active unit lies inside the actor's reach for granting roles (DESIGN §4: a township officer
    cannot touch an account that also works elsewhere). ``with_a_role_inside`` also asks for at
    least one such role: an account without any role belongs to no township, so it is listed
    to the county level only (granting to it is still allowed, see ``services.may_grant_to``)."""
    users = get_user_model().objects.all()
    scope = user_scope(actor, ROLE_ASSIGNMENT, Action.ADD)
    if scope.everything:
        return users
    if not scope.unit_ids:
        return users.none()
    live = RoleAssignment.objects.filter(unit__is_active=True)
    users = users.filter(is_staff=False, is_superuser=False).exclude(
        pk__in=live.exclude(unit_id__in=scope.unit_ids).values("user_id")
    )
    if with_a_role_inside:
        users = users.filter(pk__in=live.filter(unit_id__in=scope.unit_ids).values("user_id"))
    return users


def user_list(
    *,
    actor: Any,
    q: str | None = None,
    active: bool | None = None,
    kind: str | None = None,
    unit: Unit | None = None,
):
    """The user administration list: accounts in ``actor``'s reach (:func:`users_in_grant_reach`),
    narrowed by name or username, whether active, account kind and a unit (a role on it or below)."""
    users = users_in_grant_reach(actor=actor).select_related("account")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    if active is not None:
        users = users.filter(is_active=active)
    if kind == AccountKind.SERVICE:
        users = users.filter(account__kind=AccountKind.SERVICE)
    elif kind == AccountKind.PERSON:
        users = users.exclude(account__kind=AccountKind.SERVICE)
    if unit is not None:
        users = users.filter(pk__in=RoleAssignment.objects.filter(unit__path__startswith=unit.path).values("user_id"))
    return users.order_by("username")


def user_role_rows(*, actor: Any, user: Any) -> list[RoleAssignment]:
    """The roles of ``user`` that ``actor`` may see (RoleAssignment view reach), with their units."""
    return list(
        RoleAssignment.objects.restrict(actor, Action.VIEW)
        .filter(user=user)
        .select_related("unit", "granted_by")
        .order_by("unit__path", "role")
    )


def units_for_granting(*, actor: Any):
    """Active units on which ``actor`` may grant roles (their reach for adding role assignments)."""
    scope = user_scope(actor, ROLE_ASSIGNMENT, Action.ADD)
    units = Unit.objects.filter(is_active=True).order_by("path")
    return units if scope.everything else units.filter(pk__in=scope.unit_ids)


def units_in_reach(*, user: Any, resource: str, action: Action):
    """Active units ``user`` reaches for ``action`` on ``resource`` (form choices, e.g. the
    creating and custodian units a fonds may have)."""
    scope = user_scope(user, resource, action)
    units = Unit.objects.filter(is_active=True).order_by("path")
    return units if scope.everything else units.filter(pk__in=scope.unit_ids)


def account_must_change_password(*, user: Any) -> bool:
    """Whether an administrator chose the user's password and they have not changed it yet."""
    return Account.objects.filter(user_id=user.pk, must_change_password=True).exists()
