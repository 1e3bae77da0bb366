"""Writes to the unit network and to role assignments. Every write is checked, audited and atomic."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Func, Value
from django.http import HttpRequest
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from archives_site.audit import audit_record
from archives_site.scoping import SYSTEM, Action, forget_user_scope, require_reach, user_scope

from .models import RoleAssignment, Unit
from .roles import (
    GRANTABLE_ROLES,
    OPEN_ONLY_ROLES,
    ROLE_ASSIGNMENT,
    ROLE_UNIT_KINDS,
    UNIT,
    Reach,
    Role,
    reach_for,
    role_permission_codename,
)
from .selectors import user_assignments

UNIT_EDITABLE_FIELDS = ("code", "name", "kind", "parent", "custody_mode", "address", "is_active")


def _set_path(unit: Unit) -> None:
    parent_path = unit.parent.path if unit.parent_id else "/"
    unit.path = f"{parent_path}{unit.pk}/"
    unit.depth = unit.path.count("/") - 2


@transaction.atomic
def unit_create(*, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Unit:
    """Add a unit under ``parent`` (None for the county root); the actor must reach the parent."""
    parent: Unit | None = fields.get("parent")
    if parent is None and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only a system administrator can create a top-level unit."))
    if parent is not None:
        require_reach(actor, UNIT, Action.ADD, parent.pk, _("You cannot add units under this parent unit."))
    unit = Unit(**{k: v for k, v in fields.items() if k in UNIT_EDITABLE_FIELDS})
    unit.full_clean(exclude=["path", "depth"])
    unit.save()
    _set_path(unit)
    unit.save(update_fields=["path", "depth"])
    audit_record(action="unit.create", actor=actor, obj=unit, request=request, data={"code": unit.code})
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, actor: Any, request: HttpRequest | None = None, **fields: Any) -> Unit:
    """Change a unit's details; moving it re-roots its whole subtree in one UPDATE.

    The actor must reach the unit, and — if it moves — the new parent, for ``change``.
    """
    require_reach(actor, UNIT, Action.CHANGE, unit.pk, _("You cannot change this unit."))
    if "kind" in fields and fields["kind"] != unit.kind and not user_scope(actor, UNIT, Action.CHANGE).everything:
        raise PermissionDenied(_("Only the county administrator can change what kind of unit a unit is."))
    old_path = unit.path
    new_parent: Unit | None = fields.get("parent", unit.parent)
    moving = (new_parent.pk if new_parent else None) != unit.parent_id
    if moving and not user_scope(actor, UNIT, Action.CHANGE).everything:
        # Moving a unit moves every role held on it and below it: the county administrator's call.
        raise PermissionDenied(_("Only the county administrator can move a unit to another parent."))
    if moving:
        if new_parent is None:
            raise ValidationError({"parent": _("A unit that has a parent cannot become a top-level unit.")})
        if new_parent.path.startswith(old_path):
            raise ValidationError({"parent": _("A unit cannot be moved under itself or one of its own sub-units.")})
        require_reach(
            actor, UNIT, Action.CHANGE, new_parent.pk, _("You cannot move a unit under a unit outside your reach.")
        )
    changes = {}
    for name, value in fields.items():
        if name in UNIT_EDITABLE_FIELDS and getattr(unit, name) != value:
            changes[name] = str(value)
            setattr(unit, name, value)
    unit.full_clean(exclude=["path", "depth"])
    if moving:
        _set_path(unit)
    unit.save()
    if moving:
        depth_shift = unit.depth - (old_path.count("/") - 2)
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Func(F("path"), Value(old_path), Value(unit.path), function="REPLACE"),
            depth=F("depth") + depth_shift,
        )
    if changes:
        audit_record(action="unit.change", actor=actor, obj=unit, request=request, data=changes)
    return unit


def _grantable_here(actor: Any, unit: Unit) -> set[str]:
    """Roles ``actor`` may grant on ``unit``: from each of the actor's roles whose reach for
    adding role assignments covers the unit (nobody grants wider than their own reach)."""
    if actor is SYSTEM or getattr(actor, "is_superuser", False):
        return set(Role.values)
    allowed: set[str] = set()
    for role, _unit_id, path in user_assignments(actor):
        reach = reach_for(role, ROLE_ASSIGNMENT, Action.ADD)
        if reach == Reach.ALL or (reach is not None and unit.path.startswith(path)):
            allowed |= {r.value for r in GRANTABLE_ROLES.get(Role(role), frozenset())}
    return allowed


def may_grant_to(*, actor: Any, user: Any) -> bool:
    """Whether ``actor`` may grant roles to ``user`` at all: every role the user already holds
    lies inside the actor's reach for granting (a township officer cannot touch an account that
    also works elsewhere, such as a county-wide service account). Callers answer a refusal
    exactly as an unknown username, so a grant never reveals which accounts exist."""
    if user is None or not user.is_active:
        return False
    scope = user_scope(actor, ROLE_ASSIGNMENT, Action.ADD)
    if scope.everything:
        return True
    if user.is_superuser or user.is_staff:  # the technical operators: the county administrator's
        return False
    # Roles on deactivated units (a merged village) reach nothing and do not count.
    held = RoleAssignment.objects.filter(user=user, unit__is_active=True).values_list("unit_id", flat=True)
    return all(scope.contains(unit_id) for unit_id in held)


def _is_service_role(role: str) -> bool:
    return Role(role) in OPEN_ONLY_ROLES


@transaction.atomic
def role_assignment_create(
    *,
    actor: Any,
    user: Any,
    role: str,
    unit: Unit,
    note: str = "",
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Grant ``role`` on ``unit`` to ``user`` and mirror it as a guardian object permission.

    The actor must reach the unit for granting, may grant this role there, and may grant to this
    user (:func:`may_grant_to`); an account that is a service account (an open-only role) gets
    staff roles — and a staff account a service role — from the county administrator only.
    """
    require_reach(actor, ROLE_ASSIGNMENT, Action.ADD, unit.pk, _("You cannot grant roles on this unit."))
    if role not in _grantable_here(actor, unit):
        raise PermissionDenied(
            _("You may not grant the role “%(role)s” on %(unit)s.") % {"role": Role(role).label, "unit": unit.name}
        )
    if not may_grant_to(actor=actor, user=user):
        raise PermissionDenied(_("No such user in your reach."))
    held = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    mixes = any(_is_service_role(other) != _is_service_role(role) for other in held)
    if mixes and not user_scope(actor, ROLE_ASSIGNMENT, Action.ADD).everything:
        raise PermissionDenied(
            _(
                "Service accounts and staff accounts are kept apart: only the county administrator can combine their roles."
            )
        )
    if unit.kind not in ROLE_UNIT_KINDS[Role(role)]:
        raise ValidationError(
            {
                "unit": _("The role “%(role)s” cannot be assigned on a unit of kind “%(kind)s”.")
                % {"role": Role(role).label, "kind": unit.get_kind_display()}
            }
        )
    if RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        raise ValidationError(_("This user already holds this role on this unit."))
    assignment = RoleAssignment(
        user=user, role=role, unit=unit, note=note, granted_by=None if actor is SYSTEM else actor
    )
    assignment.full_clean()
    assignment.save()
    assign_perm(f"villages.{role_permission_codename(role)}", user, unit)
    forget_user_scope(user)
    audit_record(
        action="role.grant",
        actor=actor,
        obj=assignment,
        request=request,
        data={"user": user.get_username(), "role": role, "unit": unit.code},
    )
    return assignment


@transaction.atomic
def role_assignment_delete(*, actor: Any, assignment: RoleAssignment, request: HttpRequest | None = None) -> None:
    """Revoke a role; the actor needs the same right as for granting it."""
    require_reach(actor, ROLE_ASSIGNMENT, Action.DELETE, assignment.unit_id, _("You cannot revoke roles on this unit."))
    if assignment.role not in _grantable_here(actor, assignment.unit):
        raise PermissionDenied(_("You may not revoke the role “%(role)s”.") % {"role": assignment.get_role_display()})
    user, unit, role = assignment.user, assignment.unit, assignment.role
    audit_record(
        action="role.revoke",
        actor=actor,
        obj=assignment,
        request=request,
        data={"user": user.get_username(), "role": role, "unit": unit.code},
    )
    assignment.delete()
    remove_perm(f"villages.{role_permission_codename(role)}", user, unit)
    forget_user_scope(user)
