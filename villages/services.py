"""Writes to the unit network and to role assignments. Every write is checked, audited and atomic."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Func, Value
from django.http import HttpRequest
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from archives_site.audit import audit_record, field_changes
from archives_site.scoping import SYSTEM, Action, forget_user_scope, require_reach, user_can, user_scope
from archives_site.tokens import api_token_issue_by, api_token_revoke

from .models import Account, AccountKind, RoleAssignment, Unit
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
from .selectors import account_kind, user_assignments, users_in_grant_reach

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
    if fields.get("is_active") is False and unit.is_active and not _other_county_admins(outside_path=unit.path):
        raise ValidationError({"is_active": _last_county_admin_message()})
    if "custody_mode" in fields and (fields["custody_mode"] or "") != unit.custody_mode and unit.pk:
        raise ValidationError(
            {
                "custody_mode": _(
                    "A change of custody is recorded with its date and reason, and moves the village's "
                    "records: use “History and changes” on the unit's page."
                )
            }
        )
    changes = field_changes(unit, {name: value for name, value in fields.items() if name in UNIT_EDITABLE_FIELDS})
    for name in changes:
        setattr(unit, name, fields[name])
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
    if changes.get("is_active", [None, None])[1] is False:
        audit_record(action="unit.deactivate", actor=actor, obj=unit, request=request, data=changes)
    elif changes:
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


def grantable_roles_on(*, actor: Any, unit: Unit) -> set[str]:
    """The roles ``actor`` may grant — and revoke — on ``unit`` (pages offer only these)."""
    return _grantable_here(actor, unit)


def mark_revocable(*, actor: Any, assignments: list[RoleAssignment]) -> list[RoleAssignment]:
    """Set ``revocable`` on each assignment the actor may revoke (the pages show a button only
    there): a role the actor may grant on that unit, held by an account inside the actor's reach
    (:func:`role_assignment_delete` checks the same). One query for the accounts."""
    grantable: dict[int, set[str]] = {}
    user_ids = {assignment.user_id for assignment in assignments}
    reachable = (
        set(
            users_in_grant_reach(actor=actor, with_a_role_inside=False)
            .filter(pk__in=user_ids)
            .values_list("pk", flat=True)
        )
        if user_ids
        else set()
    )
    for assignment in assignments:
        if assignment.unit_id not in grantable:
            grantable[assignment.unit_id] = _grantable_here(actor, assignment.unit)
        assignment.revocable = assignment.user_id in reachable and assignment.role in grantable[assignment.unit_id]
    return assignments


def may_grant_to(*, actor: Any, user: Any) -> bool:
    """Whether ``actor`` may grant roles to ``user`` at all: every role the user already holds
    lies inside the actor's reach for granting (a township officer cannot touch an account that
    also works elsewhere, such as a county-wide service account). Callers answer a refusal
    exactly as an unknown username, so a grant never reveals which accounts exist.

    The rule itself is :func:`villages.selectors.users_in_grant_reach` (one place, also behind
    the user administration pages); roles on deactivated units reach nothing and do not count."""
    if user is None or not user.is_active:
        return False
    if actor is SYSTEM:
        return True
    return users_in_grant_reach(actor=actor, with_a_role_inside=False).filter(pk=user.pk).exists()


def _is_service_role(role: str) -> bool:
    return Role(role) in OPEN_ONLY_ROLES


def _kind_at_grant(user: Any, role: str) -> str:
    """The user's account kind, or — for an account made outside these pages (a command, a test
    factory) that gets its first role now — the kind that role makes it: an account whose first
    role is an open-only one is another system's. The row is written with the grant."""
    if Account.objects.filter(user=user).exists() or RoleAssignment.objects.filter(user=user).exists():
        return account_kind(user=user)
    return AccountKind.SERVICE if _is_service_role(role) else AccountKind.PERSON


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
    user (:func:`may_grant_to`); a service account (its :class:`~villages.models.Account` kind)
    gets staff roles — and a person's account a service role — from the county administrator only.
    """
    require_reach(actor, ROLE_ASSIGNMENT, Action.ADD, unit.pk, _("You cannot grant roles on this unit."))
    if actor is not SYSTEM and getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(_("Nobody grants roles to themselves: ask another administrator."))
    if role not in _grantable_here(actor, unit):
        raise PermissionDenied(
            _("You may not grant the role “%(role)s” on %(unit)s.") % {"role": Role(role).label, "unit": unit.name}
        )
    if not may_grant_to(actor=actor, user=user):
        raise PermissionDenied(_("No such user in your reach."))
    kind = _kind_at_grant(user, role)
    mixes = (kind == AccountKind.SERVICE) != _is_service_role(role)
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
    try:
        with transaction.atomic():  # two clicks at once: the second finds the first's row
            assignment.save()
    except IntegrityError as exc:
        raise ValidationError(_("This user already holds this role on this unit.")) from exc
    Account.objects.get_or_create(user=user, defaults={"kind": kind})
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
    if assignment.pk is None or not RoleAssignment.objects.select_for_update().filter(pk=assignment.pk).exists():
        raise ValidationError(_("This role was already revoked."))  # a second click at the same moment
    user, unit, role = assignment.user, assignment.unit, assignment.role
    if (
        actor is not SYSTEM
        and not users_in_grant_reach(actor=actor, with_a_role_inside=False).filter(pk=user.pk).exists()
    ):
        # As for granting (may_grant_to): an account that also works elsewhere is the county's.
        raise PermissionDenied(
            _("This account also holds roles outside your reach: ask the county administrator to change its roles.")
        )
    if role == Role.COUNTY_ADMIN and not _other_county_admins(excluding_assignment=assignment.pk):
        raise ValidationError(_last_county_admin_message())
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


def _last_county_admin_message() -> str:
    return _(
        "This is the last active county administrator: grant the role to another active account first, "
        "or the installation has nobody left to administer it."
    )


def _other_county_admins(
    *, excluding_user: int | None = None, excluding_assignment: int | None = None, outside_path: str = ""
) -> bool:
    """Whether an active person's account other than the one excluded holds the county
    administrator's role on an active unit (outside the subtree at ``outside_path``, when given).
    The rows are locked, so two administrators removing each other at the same moment cannot
    both succeed."""
    rows = RoleAssignment.objects.select_for_update(of=("self",)).filter(role=Role.COUNTY_ADMIN)
    rows = rows.filter(user__is_active=True, unit__is_active=True).exclude(user__account__kind=AccountKind.SERVICE)
    if outside_path:
        rows = rows.exclude(unit__path__startswith=outside_path)
    holders = list(rows.values_list("pk", "user_id"))
    return any(pk != excluding_assignment and user_id != excluding_user for pk, user_id in holders)


# --- accounts ---------------------------------------------------------------------------------

# Generated passwords: no look-alike characters (0/O, 1/l/I), read out over the telephone.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet


def generate_password() -> str:
    """A one-time password of three groups of four (about 70 bits), e.g. ``k7Qm-p3Zx-9RtA``."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(4)) for _g in range(3))


def is_county_level(actor: Any) -> bool:
    """Whether ``actor`` administers every account (the county administrator, a superuser)."""
    return actor is SYSTEM or user_scope(actor, ROLE_ASSIGNMENT, Action.ADD).everything


def may_administer(*, actor: Any, user: Any) -> bool:
    """Whether ``actor`` may change ``user``'s account (name, password, activity, tokens).

    The account must lie in the actor's reach as for granting (the one rule of
    :func:`villages.selectors.users_in_grant_reach`), and — below the county level — hold only
    roles the actor could grant where they are held: a township officer looks after the
    village archivists and lookup operators of their township, not after fellow officers, and
    never after a service account (another system's: the county's business, tokens included)."""
    if is_county_level(actor):
        return True
    if account_kind(user=user) == AccountKind.SERVICE:
        return False
    if not users_in_grant_reach(actor=actor).filter(pk=user.pk).exists():
        return False
    held = RoleAssignment.objects.filter(user=user, unit__is_active=True).select_related("unit")
    return all(assignment.role in _grantable_here(actor, assignment.unit) for assignment in held)


def _require_administer(actor: Any, user: Any) -> None:
    if not may_administer(actor=actor, user=user):
        raise PermissionDenied(
            _("You cannot change this account: it holds roles you may not grant, or works outside your reach.")
        )


def _check_password(password: str, user: Any) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def account_for(user: Any) -> Account:
    """The user's account row, made (as a person's) if missing."""
    account, _created = Account.objects.get_or_create(user=user)
    return account


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    full_name: str,
    email: str = "",
    kind: str = AccountKind.PERSON,
    password: str = "",
    contact: str = "",
    note: str = "",
    role: str = "",
    unit: Unit | None = None,
    request: HttpRequest | None = None,
) -> tuple[Any, str]:
    """Create an account and return it with its initial password (the one given, or one
    generated): the only time the password is known, shown once to the administrator.

    A person must change it at their first login. Below the county level the account gets its
    first role at once, inside the actor's reach (otherwise it would belong to no township and
    the actor could not find it again); service accounts are the county administrator's.
    """
    county = is_county_level(actor)
    if not user_can(actor, ROLE_ASSIGNMENT, Action.ADD) and actor is not SYSTEM:
        raise PermissionDenied(_("You cannot create accounts."))
    if kind not in AccountKind.values:
        raise ValidationError({"kind": _("Choose a person or a service account.")})
    if kind == AccountKind.SERVICE and not county:
        raise PermissionDenied(_("Only the county administrator creates service accounts."))
    if not county and not (role and unit is not None):
        raise ValidationError({"role": _("Give the new account its first role on a unit in your reach.")})
    User = get_user_model()
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is already taken.")})
    user = User(username=username, first_name=(full_name or "").strip(), email=(email or "").strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password", "last_login", "date_joined"])
    chosen = bool(password)
    if chosen:
        _check_password(password, user)
    else:
        password = generate_password()
    user.set_password(password)
    user.save()
    Account.objects.create(
        user=user, kind=kind, contact=contact, note=note, must_change_password=kind == AccountKind.PERSON
    )
    audit_record(
        action="account.create",
        actor=actor,
        obj=user,
        request=request,
        data={"username": user.username, "kind": kind, "password_chosen": chosen},
        unit=unit if role else None,  # the role comes next: file the creation where it is held
    )
    if role and unit is not None:
        role_assignment_create(actor=actor, user=user, role=role, unit=unit, request=request)
    return user, password


ACCOUNT_FIELDS = ("full_name", "email", "contact", "note", "kind", "is_superuser")


@transaction.atomic
def user_update(*, actor: Any, user: Any, request: HttpRequest | None = None, **fields: Any) -> Any:
    """Change an account's name, e-mail, contact and note; its kind and the superuser flag (the
    technical operator's, who alone may use Django admin) are the county administrator's."""
    _require_administer(actor, user)
    account = account_for(user)
    county = is_county_level(actor)
    before = {
        "full_name": user.first_name,
        "email": user.email,
        "contact": account.contact,
        "note": account.note,
        "kind": account.kind,
        "is_superuser": user.is_superuser,
    }
    wanted = {name: value for name, value in fields.items() if name in ACCOUNT_FIELDS}
    changes = field_changes(before, wanted)
    if ("kind" in changes or "is_superuser" in changes) and not county:
        raise PermissionDenied(_("Only the county administrator changes an account's kind or superuser flag."))
    if "kind" in changes and user.pk == getattr(actor, "pk", None):
        raise ValidationError({"kind": _("You cannot change the kind of your own account.")})
    if (
        "kind" in changes
        and wanted["kind"] == AccountKind.SERVICE
        and RoleAssignment.objects.filter(user=user, role=Role.COUNTY_ADMIN).exists()
    ):
        raise ValidationError(
            {
                "kind": _(
                    "A county administrator works on the website: revoke that role before making this a service account."
                )
            }
        )
    kind = wanted.get("kind", account.kind)
    superuser = wanted.get("is_superuser", user.is_superuser)
    if kind not in AccountKind.values:
        raise ValidationError({"kind": _("Choose a person or a service account.")})
    if kind == AccountKind.SERVICE and superuser:
        raise ValidationError({"kind": _("A service account cannot be a superuser or staff member.")})
    if "is_superuser" in changes and user.pk == getattr(actor, "pk", None) and not superuser:
        raise ValidationError({"is_superuser": _("You cannot take the superuser flag from your own account.")})
    if not changes:
        return user
    user.first_name = (wanted.get("full_name", user.first_name) or "").strip()
    user.email = (wanted.get("email", user.email) or "").strip()
    user.is_superuser = user.is_staff = bool(superuser)
    user.full_clean(exclude=["password", "last_login", "date_joined"])
    user.save()
    account.contact = wanted.get("contact", account.contact)
    account.note = wanted.get("note", account.note)
    account.kind = kind
    if kind == AccountKind.SERVICE:
        account.must_change_password = False  # it never logs in on the web to change it
    account.full_clean(exclude=["user"])
    account.save()
    forget_user_scope(user)
    audit_record(action="account.change", actor=actor, obj=user, request=request, data=changes)
    return user


@transaction.atomic
def user_set_active(*, actor: Any, user: Any, active: bool, request: HttpRequest | None = None) -> bool:
    """Deactivate or reactivate an account (never deleted: the audit trail names it). Returns
    whether anything changed, so a repeated request changes and records nothing."""
    _require_administer(actor, user)
    if not active and user.pk == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot deactivate your own account."))
    if not active and user.is_active and not _other_county_admins(excluding_user=user.pk):
        holds = RoleAssignment.objects.filter(user=user, role=Role.COUNTY_ADMIN, unit__is_active=True).exists()
        if holds:
            raise ValidationError(_last_county_admin_message())
    type(user).objects.select_for_update().filter(pk=user.pk).first()
    user.refresh_from_db(fields=["is_active"])
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    forget_user_scope(user)
    audit_record(
        action="account.reactivate" if active else "account.deactivate", actor=actor, obj=user, request=request
    )
    return True


@transaction.atomic
def user_password_reset(*, actor: Any, user: Any, password: str = "", request: HttpRequest | None = None) -> str:
    """Give the account a new password (the one given, or one generated) and return it, to be
    shown once. A person must change it at their next login. Every session and API token of the
    account ends with the old password."""
    _require_administer(actor, user)
    chosen = bool(password)
    if chosen:
        _check_password(password, user)
    else:
        password = generate_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    account = account_for(user)
    account.must_change_password = account.kind == AccountKind.PERSON
    account.save(update_fields=["must_change_password", "updated_at"])
    audit_record(
        action="account.password_reset",
        actor=actor,
        obj=user,
        request=request,
        data={"password_chosen": chosen},
    )
    return password


@transaction.atomic
def user_password_changed(*, user: Any, request: HttpRequest | None = None) -> None:
    """The account's owner chose a new password (Django's form has set it): the administrator's
    one-time password is gone, so nothing more is asked of them at login."""
    Account.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    audit_record(action="account.password_change", actor=user, obj=user, request=request)


def _require_service_account(user: Any) -> None:
    if account_kind(user=user) != AccountKind.SERVICE:
        raise ValidationError(_("API tokens are issued here to service accounts only; people obtain their own."))


@transaction.atomic
def service_token_issue(*, actor: Any, user: Any, request: HttpRequest | None = None) -> tuple[Any, str]:
    """Issue an API token to a service account; returns the token and its key (shown once)."""
    _require_administer(actor, user)
    _require_service_account(user)
    if not user.is_active:
        raise ValidationError(_("The account is deactivated: reactivate it first."))
    return api_token_issue_by(user=user, actor=actor, request=request)


@transaction.atomic
def service_token_revoke(*, actor: Any, user: Any, token: Any, request: HttpRequest | None = None) -> bool:
    """Revoke one of the account's live tokens; returns False when it was no longer live."""
    _require_administer(actor, user)
    if token.user_id != user.pk:
        raise PermissionDenied(_("This token belongs to another account."))
    if token.revoked_at is not None:
        return False
    api_token_revoke(token=token, actor=actor, request=request)
    return True
