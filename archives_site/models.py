"""The append-only, hash-chained audit log (DESIGN §4).

Rows are written only by :func:`archives_site.audit.audit_record`; on PostgreSQL a trigger
refuses UPDATE and DELETE on them. ``seq`` is a gap-free counter taken under a row lock on the
separately stored :class:`AuditChainHead`, so a deleted row — even the last — is detected by
``manage.py audit_verify``.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One sensitive event: who did what to which object, when, from where, and why."""

    seq = models.BigIntegerField(_("sequence"), unique=True, editable=False)
    at = models.DateTimeField(_("time"), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # the log outlives deleted users; actor_name keeps who it was
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The unit the event is about (derived from its object by ``audit_record``): whose officers
    # may read it (``archives_site.audit.audit_events``). Hashed when set; rows from before it
    # existed have none and hash as they always did.
    unit = models.ForeignKey(
        "villages.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # the log is append-only; a unit is never deleted under it
        related_name="+",
        db_constraint=False,
        db_index=False,  # see audit_unit below
    )
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        # Each filter of the audit page reads newest first through its own (column, seq) index.
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq"),
            models.Index(fields=["action", "seq"], name="audit_action_seq"),
            models.Index(fields=["actor_name", "seq"], name="audit_actor_name_seq"),
            models.Index(fields=["actor", "seq"], name="audit_actor_seq"),
            models.Index(fields=["unit", "seq"], name="audit_unit_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The chain's last sequence number and hash, stored apart from the rows (one row, pk=1)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class VerificationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Problems found")
    FAILED = "failed", _("Could not finish")


class AuditVerification(models.Model):
    """One run of ``audit_verify`` over the whole chain, and what it found (shown on the audit
    page). Started by the county administrator, the nightly schedule or ``manage.py audit_verify``;
    run by :func:`archives_site.audit.audit_verification_run`."""

    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who or what asked, when not a person: "nightly", "command".
    trigger = models.CharField(_("started by"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.QUEUED
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_checked = models.BigIntegerField(_("rows checked"), default=0)
    # [{"seq", "kind", "code", "params", "message"}] as :class:`archives_site.audit.AuditProblem`.
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("audit log verification")
        verbose_name_plural = _("audit log verifications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"verification #{self.pk} {self.status}"


class DeferredIndex(models.Model):
    """An index a bulk load dropped in its transaction, owed until built again after the commit
    (:mod:`archives_site.bulk`). Written and read with SQL there; a model so it has a migration."""

    index_name = models.CharField(max_length=63, primary_key=True)
    table_name = models.CharField(max_length=63)
    definition = models.TextField()

    class Meta:
        db_table = "bulk_deferred_index"
        verbose_name = _("deferred index build")

    def __str__(self) -> str:
        return self.index_name


class ApiToken(models.Model):
    """An API token (``Authorization: Token <key>``). Only the SHA-256 of the key is stored; the key
    is shown once, when issued (:mod:`archives_site.tokens`).

    A token is dead once revoked, past ``expires_at``, when its user is deactivated, or when the
    user's password changes: ``password_fingerprint`` is an HMAC of the password hash at issue
    time, compared on every request (no signals needed).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    password_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"


# --- The working-day calendar (工作日历; arithmetic and services in archives_site.workdays) ---------

# Years a calendar day or year may lie in (the same bounds as a moment of the API's filters).
CALENDAR_YEAR_MIN = 1900
CALENDAR_YEAR_MAX = 2100


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Day off (休)")
    WORKDAY = "workday", _("Make-up working day (班)")


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("Official calendar shipped with the system")
    BUREAU = "bureau", _("Entered by the bureau")


class CalendarDay(models.Model):
    """A day that departs from "Monday to Friday work, Saturday and Sunday rest": a public holiday
    on a weekday (休) or a make-up working day on a weekend (班, 调休). Nothing else is stored — a
    holiday's Saturday is a rest day anyway. Loaded from the official calendar
    (``manage.py load_workday_calendar``) or entered by the bureau, whose days a reload never
    overwrites. Written only by :mod:`archives_site.workdays`, which caches them."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("holiday"), max_length=50, blank=True, help_text=_("e.g. 春节"))
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices, default=CalendarSource.BUREAU)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CalendarDayKind.values), name="calendar_day_kind_valid"),
            models.CheckConstraint(condition=Q(source__in=CalendarSource.values), name="calendar_day_source_valid"),
            models.CheckConstraint(
                condition=Q(date__gte=dt.date(CALENDAR_YEAR_MIN, 1, 1), date__lte=dt.date(CALENDAR_YEAR_MAX, 12, 31)),
                name="calendar_day_date_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        if self.date is None:
            return
        if not CALENDAR_YEAR_MIN <= self.date.year <= CALENDAR_YEAR_MAX:
            message = _("Give a day between the years %(low)s and %(high)s.")
            params = {"low": CALENDAR_YEAR_MIN, "high": CALENDAR_YEAR_MAX}
            raise ValidationError({"date": ValidationError(message, params=params, code="out_of_range")})
        weekend = self.date.weekday() >= 5
        if self.kind == CalendarDayKind.HOLIDAY and weekend:
            message = _("%(date)s is a Saturday or Sunday, a rest day anyway: only holidays on weekdays are recorded.")
            raise ValidationError(
                {"kind": ValidationError(message, params={"date": self.date.isoformat()}, code="weekend_holiday")}
            )
        if self.kind == CalendarDayKind.WORKDAY and not weekend:
            message = _(
                "%(date)s is a weekday, a working day anyway: a make-up working day falls on a Saturday or Sunday."
            )
            raise ValidationError(
                {"kind": ValidationError(message, params={"date": self.date.isoformat()}, code="weekday_workday")}
            )


class CalendarYear(models.Model):
    """A year of the working-day calendar: confirmed once its holidays and make-up working days
    are known (loaded from the official calendar, or entered and confirmed by the bureau). A
    deadline in a year not confirmed is computed on weekends only and flagged as such. A row
    without confirmation records when the daily check first found the year missing."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=16, choices=CalendarSource.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    missing_noticed_at = models.DateTimeField(_("found missing"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=CALENDAR_YEAR_MIN, year__lte=CALENDAR_YEAR_MAX), name="calendar_year_range"
            ),
            # Confirmed exactly when it says by what: a confirmation always has its source.
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, source="")
                | Q(confirmed_at__isnull=False, source__in=CalendarSource.values),
                name="calendar_year_confirmed_source",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None
