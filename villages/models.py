"""The unit network: who and where. Roles are assigned on units."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from archives_site.scoping import ScopedQuerySet, ScopePolicy

from .roles import CATALOGUE_TEMPLATE, ROLE_ASSIGNMENT, UNIT, VILLAGE_CATALOGUE, Role, role_permission_codename


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


# --- The county's reference template and each village's filing catalogue (归档清单) -------------------


class Frequency(models.TextChoices):
    """How often an entry's records arise: every year, when an event happens, or once (kept
    current: a 村规民约 is filed when adopted and again when revised)."""

    YEARLY = "yearly", _("Every year")
    PER_EVENT = "per_event", _("When it happens")
    STANDING = "standing", _("Once, kept current")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class CatalogueFields(models.Model):
    """What an entry says, in the template and in a village's catalogue alike: what to file
    (归什么), how (门类) and for how long (归多久). ``category_code`` and ``retention_code`` are the
    codes of holdings' 门类 and 保管期限 (villages imports no app above it; the forms offer the
    codes that exist). An entry without a category is a heading that groups entries."""

    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    scope_note = models.TextField(_("filing scope"), blank=True, help_text=_("What belongs here."))
    category_code = models.CharField(_("category"), max_length=32, blank=True)
    retention_code = models.CharField(_("retention"), max_length=8, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.YEARLY)
    required = models.BooleanField(_("required"), default=False)
    for_villages = models.BooleanField(_("applies to villages"), default=True)
    for_communities = models.BooleanField(_("applies to communities"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    # The fields a new template version may change and a village adopts (the diff compares them).
    CONTENT_FIELDS = (
        "code",
        "title",
        "scope_note",
        "category_code",
        "retention_code",
        "frequency",
        "required",
        "for_villages",
        "for_communities",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_heading(self) -> bool:
        return not self.category_code

    def content(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    def applies_to(self, unit_kind: str) -> bool:
        return self.for_communities if unit_kind == UnitKind.COMMUNITY else self.for_villages


class CatalogueTemplate(models.Model):
    """A version of the county's reference template (基本目录参考模板, 村级档案管理办法 art. 7).

    Versions are numbered per county; one draft at a time is edited, and publishing freezes it.
    Villages derive their catalogues from a published version and adopt later ones entry by entry.
    """

    unit = models.ForeignKey(Unit, verbose_name=_("county"), on_delete=models.PROTECT, related_name="templates")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    note = models.TextField(_("note"), blank=True, help_text=_("What this version changes, and its basis."))
    status = models.CharField(_("status"), max_length=16, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=CATALOGUE_TEMPLATE, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("catalogue template")
        verbose_name_plural = _("catalogue templates")
        ordering = ["unit", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["unit"], condition=models.Q(status="draft"), name="template_one_draft_per_county"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{_('version %(n)s') % {'n': self.version}}）"

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED


class TemplateEntry(CatalogueFields):
    """An entry of a template version. ``key`` identifies the entry across versions (its code may
    change): a village's entry carries the same key, which is how a new version is compared."""

    template = models.ForeignKey(
        CatalogueTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="entries"
    )
    key = models.CharField(_("key"), max_length=40)
    parent = models.ForeignKey(
        "self", verbose_name=_("heading"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        verbose_name = _("template entry")
        verbose_name_plural = _("template entries")
        ordering = ["template", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="template_entry_key_unique"),
            models.UniqueConstraint(fields=["template", "code"], name="template_entry_code_unique"),
        ]


class VillageCatalogue(models.Model):
    """A village's (or community's) filing catalogue (归档清单), derived from a template version."""

    unit = models.OneToOneField(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="catalogue")
    template = models.ForeignKey(
        CatalogueTemplate,
        verbose_name=_("template version"),
        on_delete=models.PROTECT,
        related_name="catalogues",
        help_text=_("The version it was derived from, or the last one adopted in full."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=VILLAGE_CATALOGUE, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("village catalogue")
        verbose_name_plural = _("village catalogues")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return _("Filing catalogue of %(unit)s") % {"unit": self.unit.name}


class CatalogueEntry(CatalogueFields):
    """An entry of a village's catalogue: a template entry as adopted (``template_entry``), or the
    village's own (一村一品, ``template_entry`` empty). Marked not applicable with a reason, or
    retired when a new version drops it — never deleted once items are filed under it."""

    catalogue = models.ForeignKey(
        VillageCatalogue, verbose_name=_("catalogue"), on_delete=models.CASCADE, related_name="entries"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", editable=False)
    key = models.CharField(_("key"), max_length=40)
    parent = models.ForeignKey(
        "self", verbose_name=_("heading"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    template_entry = models.ForeignKey(
        TemplateEntry,
        verbose_name=_("template entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicable = models.BooleanField(_("applicable"), default=True)
    not_applicable_reason = models.CharField(_("reason not applicable"), max_length=200, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=VILLAGE_CATALOGUE, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        ordering = ["catalogue", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalogue", "key"],
                condition=models.Q(retired_at__isnull=True),
                name="catalogue_entry_key_live",
            ),
            models.UniqueConstraint(
                fields=["catalogue", "code"],
                condition=models.Q(retired_at__isnull=True),
                name="catalogue_entry_code_live",
            ),
        ]

    @property
    def is_local(self) -> bool:
        return self.template_entry_id is None

    @property
    def is_live(self) -> bool:
        return self.retired_at is None


class CustodyChange(models.Model):
    """A dated change of who keeps a village's records (村档村管 / 村档乡管 / 托管): the record of
    the decision, kept for good. ``keeper`` is the unit that holds the records from then on."""

    unit = models.ForeignKey(Unit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="custody_changes")
    previous_mode = models.CharField(_("previous custody mode"), max_length=16, choices=CustodyMode.choices, blank=True)
    mode = models.CharField(_("custody mode"), max_length=16, choices=CustodyMode.choices)
    keeper = models.ForeignKey(Unit, verbose_name=_("kept by"), on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField(_("effective from"))
    reason = models.CharField(_("reason"), max_length=200)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=UNIT, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("custody change")
        verbose_name_plural = _("custody changes")
        ordering = ["-effective_date", "-changed_at"]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_mode_display()} · {self.effective_date}"
