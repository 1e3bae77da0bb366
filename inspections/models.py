"""Archive rooms (档案室): what an inspector looks at — the room's facilities, the 八防 and 七有
checklists with evidence photos, its staff and their training, and its temperature/humidity log.

Rooms live here, beside the inspections that score them (they are read by those), and keep
their evidence photos as holdings' content-addressed masters (DESIGN §8): one store for every
image the system keeps.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from archives_site.scoping import ScopedQuerySet, ScopePolicy
from villages.models import Unit
from villages.roles import ARCHIVE_ROOM


class Checklist(models.TextChoices):
    EIGHT_PROTECTIONS = "bafang", _("Eight protections (八防)")
    SEVEN_HAVES = "qiyou", _("Seven haves (七有)")


# The items of each checklist (DESIGN §3): keys are stored, labels shown.
CHECKLIST_ITEMS: dict[str, tuple[tuple[str, str], ...]] = {
    Checklist.EIGHT_PROTECTIONS: (
        ("fire", _("Fire (防火)")),
        ("theft", _("Theft (防盗)")),
        ("damp", _("Damp (防潮)")),
        ("insects", _("Insects (防虫)")),
        ("light", _("Light (防光)")),
        ("mould", _("Mould (防霉)")),
        ("dust", _("Dust (防尘)")),
        ("heat", _("Heat (防高温)")),
    ),
    Checklist.SEVEN_HAVES: (
        ("leadership", _("Leadership (组织领导)")),
        ("staff", _("Staff (管理人员)")),
        ("rules", _("Rules (管理制度)")),
        ("storeroom", _("Own storeroom (独立库房)")),
        ("equipment", _("Equipment (档案设备)")),
        ("records", _("Physical records (实体档案)")),
        ("retrieval", _("Electronic retrieval (电子检索)")),
    ),
}


def checklist_label(checklist: str, item: str) -> str:
    return str(dict(CHECKLIST_ITEMS.get(checklist, ())).get(item, item))


class CheckStatus(models.TextChoices):
    MET = "met", _("Met")
    PARTLY = "partly", _("Partly met")
    NOT_MET = "not_met", _("Not met")


class ArchiveRoom(models.Model):
    """The archive room of a unit (one per unit): its facilities."""

    unit = models.OneToOneField(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="archive_room")
    location = models.CharField(_("location"), max_length=200, blank=True)
    area_m2 = models.DecimalField(
        _("storeroom area (m²)"),
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    cabinets = models.PositiveIntegerField(_("cabinets and shelves"), null=True, blank=True)
    equipment = models.TextField(
        _("equipment"), blank=True, help_text=_("One per line, e.g. air conditioner, dehumidifier, fire extinguisher.")
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=ARCHIVE_ROOM, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("archive room")
        verbose_name_plural = _("archive rooms")

    def __str__(self) -> str:
        return str(self.unit)

    @property
    def equipment_list(self) -> list[str]:
        return [line.strip() for line in self.equipment.splitlines() if line.strip()]


class RoomCheck(models.Model):
    """The state of one checklist item of a room, when it was checked and by whom; the audit
    trail keeps every earlier state."""

    room = models.ForeignKey(
        ArchiveRoom, verbose_name=_("archive room"), on_delete=models.CASCADE, related_name="checks"
    )
    checklist = models.CharField(_("checklist"), max_length=8, choices=Checklist.choices)
    item = models.CharField(_("item"), max_length=16)
    status = models.CharField(_("status"), max_length=8, choices=CheckStatus.choices)
    checked_on = models.DateField(_("checked on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["room", "checklist", "item"], name="room_check_once")]

    def __str__(self) -> str:
        return checklist_label(self.checklist, self.item)

    @property
    def label(self) -> str:
        return checklist_label(self.checklist, self.item)


class RoomEvidence(models.Model):
    """A photo proving a checklist item (a fire extinguisher, the dehumidifier, the rules on the
    wall); its bytes are a holdings master, stored once."""

    room_check = models.ForeignKey(
        RoomCheck, verbose_name=_("checklist item"), on_delete=models.CASCADE, related_name="evidence"
    )
    master = models.ForeignKey(
        "holdings.MasterFile", verbose_name=_("photo"), on_delete=models.PROTECT, related_name="room_evidence"
    )
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence photo")
        verbose_name_plural = _("evidence photos")
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.original_name or str(self.master)


class RoomStaff(models.Model):
    """A person who keeps the room (专兼职档案员)."""

    room = models.ForeignKey(
        ArchiveRoom, verbose_name=_("archive room"), on_delete=models.CASCADE, related_name="staff"
    )
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=100, blank=True)
    full_time = models.BooleanField(_("full-time"), default=False)
    since = models.DateField(_("in post since"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("room staff member")
        verbose_name_plural = _("room staff")
        ordering = ["left_on", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Training(models.Model):
    """A training a staff member attended (业务培训)."""

    staff = models.ForeignKey(
        RoomStaff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="trainings"
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("training"), max_length=200)
    organiser = models.CharField(_("organised by"), max_length=100, blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    certificate = models.CharField(_("certificate number"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title


class ReadingSource(models.TextChoices):
    HAND = "hand", _("Entered by hand")
    LOGGER = "logger", _("Imported from a logger")


class ClimateReading(models.Model):
    """One temperature and humidity reading of a room. ``unit`` repeats the room's unit so the
    log is scoped and read on one index. One reading per room and moment: importing the same
    logger file twice adds nothing."""

    room = models.ForeignKey(
        ArchiveRoom, verbose_name=_("archive room"), on_delete=models.CASCADE, related_name="readings"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    taken_at = models.DateTimeField(_("taken at"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=4, decimal_places=1)
    humidity = models.DecimalField(_("relative humidity (%)"), max_digits=4, decimal_places=1)
    source = models.CharField(_("source"), max_length=8, choices=ReadingSource.choices, default=ReadingSource.HAND)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=ARCHIVE_ROOM, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("climate reading")
        verbose_name_plural = _("climate readings")
        ordering = ["-taken_at"]
        constraints = [models.UniqueConstraint(fields=["room", "taken_at"], name="climate_reading_once")]
        indexes = [models.Index(fields=["unit", "taken_at"], name="climate_unit_time")]

    def __str__(self) -> str:
        return f"{self.taken_at:%Y-%m-%d %H:%M} {self.temperature} °C {self.humidity} %"
