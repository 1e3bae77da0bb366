"""The unit network: who and where. Roles are assigned on units."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from archives_site.scoping import ScopedQuerySet, ScopePolicy

from .roles import ROLE_ASSIGNMENT, UNIT, Role, role_permission_codename


class UnitKind(models.TextChoices):
    COUNTY = "county", _("County / district")
    ARCHIVE = "archive", _("Archives")
    TOWNSHIP = "township", _("Township")
    STREET = "street", _("Subdistrict")
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", _("Department")


VILLAGE_KINDS = frozenset({UnitKind.VILLAGE, UnitKind.COMMUNITY})
TOWNSHIP_KINDS = frozenset({UnitKind.TOWNSHIP, UnitKind.STREET})

# The shape of the network: which kinds of unit a unit of each kind may sit under (None: the top).
PARENT_KINDS: dict[str, frozenset[str | None]] = {
    UnitKind.COUNTY: frozenset({None}),
    UnitKind.ARCHIVE: frozenset({UnitKind.COUNTY}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.COUNTY}),
    UnitKind.TOWNSHIP: frozenset({UnitKind.COUNTY}),
    UnitKind.STREET: frozenset({UnitKind.COUNTY}),
    # A village or community may hold its natural villages or groups (自然村, 村民小组).
    UnitKind.VILLAGE: TOWNSHIP_KINDS | VILLAGE_KINDS,
    UnitKind.COMMUNITY: TOWNSHIP_KINDS | VILLAGE_KINDS,
}


class CustodyMode(models.TextChoices):
    """Who keeps a village's records (村档村管 / 村档乡管 / 托管)."""

    OWN_ROOM = "own_room", _("Kept by the village")
    TOWNSHIP = "township", _("Kept by the township")
    ENTRUSTED = "entrusted", _("Entrusted custody")


class UnitQuerySet(ScopedQuerySet):
    def descendants_of(self, unit: Unit, *, include_self: bool = True) -> UnitQuerySet:
        """Units below ``unit`` — one indexed prefix filter on the materialised path."""
        qs = self.filter(path__startswith=unit.path)
        return qs if include_self else qs.exclude(pk=unit.pk)


class Unit(models.Model):
    """A node of the county network: the county, its archive, townships/streets, villages/
    communities and county departments.

    ``path`` is a materialised path of ids (``/1/7/42/``) maintained by
    :func:`villages.services.unit_create` and ``unit_update``; descendants of a unit are the
    rows whose path starts with its path, so scope resolution is one indexed filter.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)
    custody_mode = models.CharField(
        _("custody mode"),
        max_length=16,
        choices=CustodyMode.choices,
        blank=True,
        help_text=_("Villages and communities only: who keeps the records."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = UnitQuerySet.as_manager()
    scope = ScopePolicy(resource=UNIT, read_fields=("id",), write_fields=("id",))

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind"], name="unit_kind"),
        ]
        # One guardian object permission per role; rows are derived from RoleAssignment.
        permissions = [(role_permission_codename(value), f"Holds role {value}") for value in Role.values]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        parent_kind = self.parent.kind if self.parent_id else None
        if self.kind in PARENT_KINDS and parent_kind not in PARENT_KINDS[self.kind]:
            allowed = "、".join(str(UnitKind(k).label) for k in PARENT_KINDS[self.kind] if k) or "—"
            raise ValidationError(
                {
                    "parent": _("A unit of kind “%(kind)s” belongs under: %(allowed)s.")
                    % {"kind": self.get_kind_display(), "allowed": allowed}
                }
            )

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids on the path above this unit, root first (no query needed)."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    @property
    def is_village(self) -> bool:
        return self.kind in VILLAGE_KINDS


class RoleAssignment(models.Model):
    """A user holds a role on a unit (and, by the role's reach, on the units below it).

    This is the source of truth; the django-guardian object permission on the unit is derived
    from it by :mod:`villages.services`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="role_assignments")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=ROLE_ASSIGNMENT, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["unit__path", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="unique_role_per_user_and_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class AccountKind(models.TextChoices):
    """Whether an account is a person's or another system's (DESIGN §4, issue 8 item 8)."""

    PERSON = "person", pgettext_lazy("account kind", "Person")
    SERVICE = "service", _("Service account")


class Account(models.Model):
    """What the system knows of a login beyond Django's user: whether a person or another
    government system uses it. A service account uses the API only (tokens): no web login, no
    session, no browser exports. A user without this row is a person (see
    :func:`villages.services.account_kind`); the row is made when the account is created here
    or receives its first role.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="account"
    )
    kind = models.CharField(_("account kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.PERSON)
    contact = models.CharField(
        _("contact"), max_length=200, blank=True, help_text=_("Who answers for a service account: name, telephone.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    must_change_password = models.BooleanField(
        _("must change password at next login"),
        default=False,
        help_text=_("Set when an administrator chose the password; cleared when its owner changes it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["kind"], name="account_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"

    @property
    def is_service(self) -> bool:
        return self.kind == AccountKind.SERVICE
