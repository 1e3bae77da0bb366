"""Scope by unit, fail closed (DESIGN §4).

Every scoped model declares a :class:`ScopePolicy` (which resource of the role matrix it is and
which unit foreign keys scope it) and uses :class:`ScopedQuerySet` as its manager, so that
``Model.objects.restrict(user, Action.VIEW)`` is the one way views, the API and selectors reach
rows. The user's units are resolved once per request (cached on the user object) and applied as
plain ``unit_id IN (...)`` filters on indexed columns — never per-row permission joins.

Who may do what is the role matrix in :mod:`villages.roles`; the resolution lives in
:func:`villages.selectors.user_unit_scope` because roles are assigned on units of the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Action(StrEnum):
    """What a user wants to do with a row; HTTP methods map onto these."""

    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"

    @classmethod
    def for_method(cls, method: str) -> Action:
        return {
            "GET": cls.VIEW,
            "HEAD": cls.VIEW,
            "OPTIONS": cls.VIEW,
            "POST": cls.ADD,
            "PUT": cls.CHANGE,
            "PATCH": cls.CHANGE,
            "DELETE": cls.DELETE,
        }.get(method.upper(), cls.CHANGE)


@dataclass(frozen=True)
class UnitScope:
    """The units a user reaches for one resource and action. ``everything`` means no filter.

    A restriction belongs to the role assignment that gives the reach (DESIGN §4): the union
    over a user's assignments of (units, restriction) pairs. ``unit_ids`` are reached without
    restriction; ``open_only_ids`` only through open-only assignments (an external system's),
    which see just the rows a model declares open (``ScopePolicy.open_rows``). An open-only
    reach never widens another assignment's, nor narrows it.
    """

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    open_only_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.everything or bool(self.unit_ids) or bool(self.open_only_ids)

    def contains(self, unit_id: int | None) -> bool:
        """Whether ``unit_id`` is reached without restriction (what writes and checks need)."""
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)

    def fingerprint(self) -> str:
        """A short stable text for cache keys: equal scopes, equal fingerprints."""
        if self.everything:
            return "all"
        raw = ",".join(map(str, sorted(self.unit_ids))) + "|" + ",".join(map(str, sorted(self.open_only_ids)))
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


SCOPE_CACHE_ATTR = "_unit_scope_cache"  # per-request cache on the user object


def scope_cache(user: Any) -> dict[Any, Any]:
    """The per-request cache of a user's reach, kept on the user object."""
    cache = getattr(user, SCOPE_CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, SCOPE_CACHE_ATTR, cache)
    return cache


def forget_user_scope(user: Any) -> None:
    """Drop a user's cached reach (after their roles or the unit tree changed)."""
    if user is not None and getattr(user, SCOPE_CACHE_ATTR, None) is not None:
        setattr(user, SCOPE_CACHE_ATTR, None)


NOTHING = UnitScope()
EVERYTHING = UnitScope(everything=True)


@dataclass(frozen=True)
class ScopePolicy:
    """How a model is scoped.

    ``resource`` names its row in the role matrix; ``read_fields`` are unit foreign keys of
    which *any* must be in reach to read a row; ``write_fields`` must *all* be in reach to write.
    (Items: read by creating or custodian unit, write by custodian unit only.)
    """

    resource: str
    read_fields: tuple[str, ...]
    write_fields: tuple[str, ...]
    # The rows an open-only reach sees (``Q()``: all of them); None: none (fail closed).
    open_rows: Q | None = None
    # Rows of other units granted for reading to the reached units (records pushed down to a
    # village): ``(user, unit ids) → condition``, or None when none are granted. Never written.
    granted_rows: Callable[[Any, list[int]], Q | None] | None = None

    def fields_for(self, action: Action) -> tuple[str, ...]:
        return self.read_fields if action == Action.VIEW else self.write_fields


def user_scope(user: AbstractBaseUser | AnonymousUser | None, resource: str, action: Action) -> UnitScope:
    """The units ``user`` reaches for ``action`` on ``resource``; anonymous or unknown → none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    from villages.selectors import user_unit_scope  # the network app owns roles and units

    return user_unit_scope(user=user, resource=resource, action=action)


class SystemActor:
    """The explicit actor of Celery tasks, migrations, management commands and seeding.

    Services never accept ``None`` as an actor (that would skip every check unnoticed); work
    that no person does passes :data:`SYSTEM`, which reaches everything and is written to the
    audit trail as "system".
    """

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_staff = False
    username = "system"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def require_reach(
    actor: Any,
    resource: str,
    action: Action,
    unit_ids: int | list[int | None] | tuple[int | None, ...] | None,
    message: str,
) -> None:
    """The one write check of every service: ``actor`` must reach each of ``unit_ids`` for
    ``action`` on ``resource``. Fails closed: no actor, an anonymous or inactive one, or a unit
    of ``None`` is refused; only :data:`SYSTEM` skips the check."""
    if actor is SYSTEM:
        return
    if actor is None:
        raise PermissionDenied(message)
    scope = user_scope(actor, resource, action)
    for unit_id in unit_ids if isinstance(unit_ids, list | tuple) else [unit_ids]:
        if not scope.contains(unit_id):
            raise PermissionDenied(message)


def scope_key(user: Any, *resources: str) -> str:
    """A cache key part naming what ``user`` can see of ``resources``: caches of a user's figures
    are keyed by this, not by the user, so a role change shows at once."""
    return "-".join(user_scope(user, resource, Action.VIEW).fingerprint() for resource in resources)


def user_can(user: AbstractBaseUser | AnonymousUser | None, resource: str, action: Action) -> bool:
    """Whether any of the user's roles allows ``action`` on ``resource`` anywhere."""
    return bool(user_scope(user, resource, action))


def instance_in_scope(instance: models.Model, user: Any, action: Action) -> bool:
    """Whether a (possibly unsaved) instance lands inside the user's reach for ``action``."""
    policy: ScopePolicy = type(instance).scope  # type: ignore[attr-defined]
    scope = user_scope(user, policy.resource, action)
    if scope.everything:
        return True
    values = [getattr(instance, field) for field in policy.fields_for(action)]
    if action == Action.VIEW:
        return any(scope.contains(v) for v in values)
    return all(scope.contains(v) for v in values)


# Stands for "the unit of this partition" in a compiled partition query (never a unit's id).
UNIT_PLACEHOLDER = -(2**62)


def _partition(fields: tuple[str, ...], position: int, unit_id: int, ids: list[int]) -> Q:
    """The rows whose ``fields[position]`` is ``unit_id`` and no earlier field is in reach."""
    part = Q(**{fields[position]: unit_id}) & unlike_earlier_fields(fields, position)
    for earlier in fields[:position]:
        part &= ~Q(**{f"{earlier}__in": ids})
    return part


def unlike_earlier_fields(fields: tuple[str, ...], position: int) -> Q:
    """``fields[position]`` differs from every earlier field.

    True of every row of a later partition (its field is in reach, the earlier ones are not), and
    said explicitly so that PostgreSQL can use the partial indexes declared with the same
    condition (``archives_site.search.scope_search_indexes``).
    """
    condition = Q()
    for earlier in fields[:position]:
        condition &= ~Q(**{fields[position]: F(earlier)})
    return condition


def _in_units(fields: tuple[str, ...], ids: list[int], action: Action) -> Q:
    """Rows whose unit fields are among ``ids``: any of them to read, all of them to write."""
    condition = Q()
    for field in fields:
        if action == Action.VIEW:
            condition |= Q(**{f"{field}__in": ids})
        else:
            condition &= Q(**{f"{field}__in": ids})
    return condition


# Above this many (unit field, unit) pairs a scope is left to the planner as one IN filter.
MAX_SCOPE_PARTITIONS = 64


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user reaches. Unknown users get nothing.

    A restricted queryset also remembers its scope as *partitions*: disjoint conditions, one per
    (unit field, unit), whose union is the scope. Each is one equality on a ``(unit field, id)``
    index, so :mod:`archives_site.search` can read a small scope newest-first by merging those
    indexes instead of walking the whole table's primary key past other units' rows.
    """

    _scope_partitions: tuple[tuple[Q, tuple[int, ...]], ...] | None = None
    _scope_node: Any = None  # the WHERE clause restrict() added, to swap it for a partition

    def restrict(self, user: Any, action: Action | str = Action.VIEW, *, granted: bool = True) -> Self:
        """The rows ``user`` reaches for ``action``; ``granted=False`` leaves out the rows only
        granted to the user's units (pushed records), e.g. for "our holdings" statistics."""
        action = Action(action)
        policy: ScopePolicy = self.model.scope
        scope = user_scope(user, policy.resource, action)
        if scope.everything:
            return self
        fields = policy.fields_for(action)
        ids = sorted(scope.unit_ids)
        open_ids = sorted(scope.open_only_ids) if action == Action.VIEW and policy.open_rows is not None else []
        if not ids and not open_ids:
            return self.none()
        granted = (
            policy.granted_rows(user, ids)
            if granted and action == Action.VIEW and policy.granted_rows and ids
            else None
        )
        if ids and open_ids:  # full reach here, open rows only there: one condition, no partitions
            condition = _in_units(fields, ids, action) | (_in_units(fields, open_ids, action) & policy.open_rows)
            return self.filter(condition | granted if granted is not None else condition)
        base = self.filter(policy.open_rows) if open_ids else self
        ids = ids or open_ids
        own = _in_units(fields, ids, action)
        restricted = base.filter(own | granted if granted is not None else own)
        if action == Action.VIEW and len(fields) * len(ids) <= MAX_SCOPE_PARTITIONS:
            restricted._scope_node = restricted.query.where.children[-1]
            partitions = [
                (_partition(fields, position, UNIT_PLACEHOLDER, ids), tuple(ids)) for position in range(len(fields))
            ]
            if granted is not None:  # one more branch: the granted rows outside the own units
                partitions.append((granted & ~own, (0,)))
            restricted._scope_partitions = tuple(partitions)
        return restricted

    def scope_partitions(self) -> list[tuple[Self, tuple[int, ...]]] | None:
        """This queryset as disjoint partitions, one per (unit field, unit) of its scope, or None
        when it has no useful split (no scope filter, or one of very many units).

        One queryset per unit field, with ``UNIT_PLACEHOLDER`` where the unit goes, and the
        units to put there (compiled once, not once per unit). Each has the scope's ``IN``
        filter replaced by its partition's equalities: besides matching its own index, the
        planner then estimates it well (the ``IN`` filter on top would be counted as a second,
        independent condition and shrink every estimate).
        """
        if self._scope_partitions is None:
            return None
        base = self._chain()
        children = base.query.where.children
        for index, child in enumerate(children):
            if child == self._scope_node:
                del children[index]  # the partitions below are each inside the scope
                break
        else:  # not found (cannot happen): keep the filter, still correct
            base = self
        return [(base.filter(part), ids) for part, ids in self._scope_partitions]

    def _clone(self) -> Self:
        clone = super()._clone()
        clone._scope_partitions, clone._scope_node = self._scope_partitions, self._scope_node
        return clone

    def __or__(self, other: Any) -> Self:
        combined = super().__or__(other)
        combined._scope_partitions = None  # the union reaches beyond the scope's partitions
        return combined

    def __xor__(self, other: Any) -> Self:
        combined = super().__xor__(other)
        combined._scope_partitions = None
        return combined
