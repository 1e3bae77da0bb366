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

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q

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
    """The units a user reaches for one resource and action. ``everything`` means no filter."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.everything or bool(self.unit_ids)

    def contains(self, unit_id: int | None) -> bool:
        return self.everything or (unit_id is not None and unit_id in self.unit_ids)


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

    def fields_for(self, action: Action) -> tuple[str, ...]:
        return self.read_fields if action == Action.VIEW else self.write_fields


def user_scope(user: AbstractBaseUser | AnonymousUser | None, resource: str, action: Action) -> UnitScope:
    """The units ``user`` reaches for ``action`` on ``resource``; anonymous or unknown → none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    from villages.selectors import user_unit_scope  # the network app owns roles and units

    return user_unit_scope(user=user, resource=resource, action=action)


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


class ScopedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user reaches. Unknown users get nothing."""

    def restrict(self, user: Any, action: Action | str = Action.VIEW) -> Self:
        action = Action(action)
        policy: ScopePolicy = self.model.scope
        scope = user_scope(user, policy.resource, action)
        if scope.everything:
            return self
        if not scope.unit_ids:
            return self.none()
        ids = sorted(scope.unit_ids)
        condition = Q()
        for field in policy.fields_for(action):
            if action == Action.VIEW:
                condition |= Q(**{f"{field}__in": ids})
            else:
                condition &= Q(**{f"{field}__in": ids})
        return self.filter(condition)
