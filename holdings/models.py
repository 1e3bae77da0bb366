"""Holdings: fonds, categories (门类), retention periods, reference-code templates, volumes and items.

Items and volumes carry, denormalised from their fonds, the creating unit and the custodian unit
that scope them (DESIGN §4): reads need either in reach, writes need the custodian.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from archives_site.scoping import ScopedQuerySet, ScopePolicy, scope_cache
from archives_site.search import scope_search_indexes
from villages.models import Unit
from villages.roles import HOLDINGS, RECORD_PUSH, VILLAGE_CATALOGUE

from .dates import validate_catalogue_date


class Arrangement(models.TextChoices):
    """How a category is arranged (整理方式)."""

    ITEM = "item", _("By item")
    VOLUME = "volume", _("By volume")
    PROJECT = "project", _("By project")


class Category(models.Model):
    """An archival category (门类) of DA/T 13-2022, as a tree (``KJ`` → ``KJ·JJ``).

    ``code`` is the full code written in reference codes, second-level codes joined with ``·``.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    arrangement = models.CharField(
        _("arrangement"), max_length=16, choices=Arrangement.choices, default=Arrangement.ITEM
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RetentionPeriod(models.Model):
    """A retention period (保管期限): ``Y`` permanent, ``D30``, ``D10``; extensible.

    Legacy values (永久/长期/短期 before 2006) are kept for old records and map to a current one.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=20)
    years = models.PositiveSmallIntegerField(_("years"), null=True, blank=True, help_text=_("Empty means permanent."))
    is_legacy = models.BooleanField(_("legacy"), default=False)
    maps_to = models.ForeignKey(
        "self",
        verbose_name=_("maps to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("For legacy values: the current retention period they convert to."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ReferenceCodeTemplate(models.Model):
    """How reference codes (档号) are built from an item's stored components.

    ``parts`` is an ordered list of ``{"sep": "-", "field": "year"}``; fields are ``fonds``,
    ``category``, ``year``, ``retention``, ``org``, ``volume`` (案卷号) and ``number`` (件号).
    An empty component is left out together with its separator (no 机构 class → no segment).
    The most specific template applies: fonds + category, then fonds, then category, then the
    installation default (both empty). A change applies to new codes only; codes are frozen.
    """

    FIELDS = ("fonds", "category", "year", "retention", "org", "volume", "number")

    name = models.CharField(_("name"), max_length=100)
    fonds = models.ForeignKey(
        "Fonds", verbose_name=_("fonds"), null=True, blank=True, on_delete=models.CASCADE, related_name="code_templates"
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE)
    parts = models.JSONField(_("parts"))
    number_width = models.PositiveSmallIntegerField(_("item number width"), default=4)
    volume_width = models.PositiveSmallIntegerField(_("volume number width"), default=3)

    class Meta:
        verbose_name = _("reference code template")
        verbose_name_plural = _("reference code templates")
        constraints = [
            models.UniqueConstraint(
                fields=["fonds", "category"], name="one_template_per_fonds_category", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.pattern}"

    @property
    def pattern(self) -> str:
        return "".join(f"{part['sep']}{{{part['field']}}}" for part in self.parts)

    def clean(self) -> None:
        fields = [part.get("field") for part in self.parts or []]
        unknown = [f for f in fields if f not in self.FIELDS]
        if unknown:
            raise ValidationError({"parts": _("Unknown component(s): %(names)s") % {"names": ", ".join(unknown)}})
        if "fonds" not in fields or "number" not in fields:
            raise ValidationError({"parts": _("A reference code needs at least the fonds and the item number.")})


fonds_code_validator = RegexValidator(
    r"^[A-Z0-9]{1,8}$", _("A fonds number is 1–8 capital letters or digits, e.g. J001 or Z109.")
)


class HoldingsQuerySet(ScopedQuerySet):
    pass


class Fonds(models.Model):
    """A fonds (全宗): the records of one creating unit, numbered by the archive (e.g. ``J001``)."""

    code = models.CharField(_("fonds number"), max_length=8, unique=True, validators=[fonds_code_validator])
    name = models.CharField(_("fonds name"), max_length=200)
    creating_unit = models.ForeignKey(
        Unit, verbose_name=_("creating unit"), on_delete=models.PROTECT, related_name="created_fonds"
    )
    custodian_unit = models.ForeignKey(
        Unit, verbose_name=_("custodian unit"), on_delete=models.PROTECT, related_name="kept_fonds"
    )
    history = models.TextField(_("history"), blank=True)
    start_year = models.PositiveSmallIntegerField(_("from year"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("to year"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HoldingsQuerySet.as_manager()
    # An open-only reach (an external system) sees the fonds of its units by name.
    scope = ScopePolicy(
        resource=HOLDINGS,
        read_fields=("creating_unit_id", "custodian_unit_id"),
        write_fields=("custodian_unit_id",),
        open_rows=Q(),
    )

    class Meta:
        verbose_name = _("fonds")
        verbose_name_plural = _("fonds")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.start_year and self.end_year and self.start_year > self.end_year:
            raise ValidationError({"end_year": _("The end year is before the start year.")})


class OpenStatus(models.TextChoices):
    """开放标识 (DA/T 18-2022)."""

    UNREVIEWED = "unreviewed", _("Not reviewed")
    OPEN = "open", _("Open")
    CONTROLLED = "controlled", _("Controlled")
    DEFERRED = "deferred", _("Opening deferred")


class Disclosure(models.TextChoices):
    """公开属性."""

    PROACTIVE = "proactive", _("Disclosed proactively")
    ON_REQUEST = "on_request", _("Disclosed on request")
    NOT_DISCLOSED = "not_disclosed", _("Not disclosed")


class Classification(models.TextChoices):
    """密级: only 秘密/机密/绝密 are legal classification levels; empty means unclassified."""

    NONE = "", _("Unclassified")
    SECRET = "secret", _("Secret")
    CONFIDENTIAL = "confidential", _("Confidential")
    TOP_SECRET = "top_secret", _("Top secret")


class Carrier(models.TextChoices):
    PAPER = "paper", _("Paper")
    ELECTRONIC = "electronic", _("Electronic")
    PHOTO = "photo", _("Photograph")
    AUDIO_VIDEO = "audio_video", _("Audio/video media")
    OBJECT = "object", _("Object")
    OTHER = "other", _("Other")


class Generation(models.TextChoices):
    """生成方式."""

    PAPER = "", _("Paper original")
    BORN_DIGITAL = "born_digital", _("Born digital")
    DIGITISED = "digitised", _("Digitised")


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FILED = "filed", _("Filed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DESTROYED = "destroyed", _("Destroyed")


# 机构(问题)代码 is a segment of the 档号: no separators or spaces, or codes could collide.
org_code_validator = RegexValidator(
    r"^[A-Za-z0-9\u4e00-\u9fff]*$",
    _(
        "An organisation/subject code is letters, digits or Chinese characters only (no “-”, “·”, “/” or spaces), e.g. BGS."
    ),
)


# Open statuses that make a record restricted (with any 密级): extra rights to see it in full.
RESTRICTED_OPEN_STATUSES = (OpenStatus.CONTROLLED, OpenStatus.DEFERRED)


class CatalogueRecord(models.Model):
    """Fields shared by volumes and items: the DA/T 22 catalogue fields and DA/T 18 controls."""

    fonds = models.ForeignKey(Fonds, verbose_name=_("fonds"), on_delete=models.PROTECT)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"))
    retention = models.ForeignKey(RetentionPeriod, verbose_name=_("retention"), on_delete=models.PROTECT)
    org_code = models.CharField(
        _("organisation/subject code"),
        max_length=16,
        blank=True,
        validators=[org_code_validator],
        help_text=_("机构(问题)代码, e.g. BGS"),
    )
    number = models.PositiveIntegerField(_("number"), null=True, blank=True, editable=False)
    reference_code = models.CharField(
        _("reference code"), max_length=80, null=True, blank=True, unique=True, editable=False
    )
    original_code = models.CharField(_("original reference code"), max_length=80, blank=True, db_index=True)
    title = models.CharField(_("title"), max_length=1000)
    responsible = models.CharField(_("responsible party"), max_length=300, blank=True)
    classification = models.CharField(
        _("classification"), max_length=16, choices=Classification.choices, blank=True, default=""
    )
    classification_term = models.CharField(_("secrecy term"), max_length=20, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    note = models.TextField(_("remarks"), blank=True)
    open_status = models.CharField(
        _("open status"), max_length=16, choices=OpenStatus.choices, default=OpenStatus.UNREVIEWED
    )
    disclosure = models.CharField(_("disclosure"), max_length=16, choices=Disclosure.choices, blank=True)
    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.choices, default=Carrier.PAPER)
    generation = models.CharField(_("generation"), max_length=16, choices=Generation.choices, blank=True, default="")
    storeroom = models.CharField(_("storeroom"), max_length=32, blank=True)
    cabinet = models.CharField(_("cabinet"), max_length=16, blank=True)
    shelf = models.CharField(_("shelf"), max_length=16, blank=True)
    layer = models.CharField(_("layer"), max_length=16, blank=True)
    box = models.CharField(_("box"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.DRAFT)
    # Denormalised from the fonds: these scope every read and write (DESIGN §4).
    creating_unit = models.ForeignKey(Unit, verbose_name=_("creating unit"), on_delete=models.PROTECT, related_name="+")
    custodian_unit = models.ForeignKey(
        Unit, verbose_name=_("custodian unit"), on_delete=models.PROTECT, related_name="+"
    )
    # NFKC-folded, lower-cased searchable fields joined by U+001F (archives_site.search).
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)

    objects = HoldingsQuerySet.as_manager()
    # An open-only reach (an external system, the public) sees open, unclassified records only.
    scope = ScopePolicy(
        resource=HOLDINGS,
        read_fields=("creating_unit_id", "custodian_unit_id"),
        write_fields=("custodian_unit_id",),
        open_rows=Q(open_status="open", classification=""),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.reference_code or _('(draft)')} {self.title[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "withheld", False):  # masked for a reader (holdings.selectors.withhold)
            raise RuntimeError("A record shown with its fields withheld must never be saved.")
        super().save(*args, **kwargs)

    @property
    def is_restricted(self) -> bool:
        """Classified, controlled or deferred: detail views are audited and need extra rights."""
        return bool(self.classification) or self.open_status in RESTRICTED_OPEN_STATUSES

    @staticmethod
    def restricted_rows() -> Q:
        """:attr:`is_restricted` as a query condition (the two say the same; keep them together)."""
        return ~Q(classification="") | Q(open_status__in=RESTRICTED_OPEN_STATUSES)

    @property
    def is_read_only(self) -> bool:
        """Withdrawn and destroyed records are kept as they are: never edited or renumbered."""
        return self.status in (RecordStatus.WITHDRAWN, RecordStatus.DESTROYED)

    @property
    def location(self) -> str:
        """库房/柜/架/层/盒 as one line, e.g. ``一号库 / 03 / 2 / 4 / 0017``."""
        return " / ".join(p for p in (self.storeroom, self.cabinet, self.shelf, self.layer, self.box) if p)


class Volume(CatalogueRecord):
    """A volume (案卷): bound records numbered within their class (案卷号)."""

    start_date = models.CharField(_("start date"), max_length=8, blank=True, validators=[validate_catalogue_date])
    end_date = models.CharField(_("end date"), max_length=8, blank=True, validators=[validate_catalogue_date])

    class Meta:
        verbose_name = _("volume")
        verbose_name_plural = _("volumes")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["fonds", "category", "year", "retention"], name="volume_class"),
            *scope_search_indexes("volume", CatalogueRecord.scope.read_fields),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fonds", "category", "year", "retention", "org_code", "number"],
                condition=Q(number__isnull=False),
                name="volume_number_unique_in_class",
            ),
        ]


class Item(CatalogueRecord):
    """An item (件): the filing unit of DA/T 22-2015, numbered gap-free within its class.

    An item inside a volume (卷内文件) is numbered within the volume instead.
    """

    volume = models.ForeignKey(
        Volume, verbose_name=_("volume"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    doc_number = models.CharField(_("document number"), max_length=100, blank=True)
    date = models.CharField(_("date"), max_length=8, blank=True, validators=[validate_catalogue_date])
    date_researched = models.BooleanField(
        _("date established by research"), default=False, help_text=_("Shown in brackets, e.g. [19450815].")
    )
    # The entry of the village's filing catalogue (归档清单) it was filed under; completeness counts these.
    catalogue_entry = models.ForeignKey(
        "villages.CatalogueEntry",
        verbose_name=_("catalogue entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )

    # Read also where the archive pushed it (推送): open, unclassified and still pushed.
    scope = ScopePolicy(
        resource=HOLDINGS,
        read_fields=CatalogueRecord.scope.read_fields,
        write_fields=CatalogueRecord.scope.write_fields,
        open_rows=CatalogueRecord.scope.open_rows,
        granted_rows=lambda user, unit_ids: pushed_rows(user, unit_ids),
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["fonds", "category", "year", "retention"], name="item_class"),
            *scope_search_indexes("item", CatalogueRecord.scope.read_fields),
            models.Index(fields=["year", "id"], name="item_year"),
            models.Index(fields=["open_status", "id"], name="item_open_status"),
            models.Index(
                fields=["catalogue_entry", "year"],
                name="item_catalogue_entry",
                condition=Q(catalogue_entry__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["fonds", "category", "year", "retention", "org_code", "number"],
                condition=Q(number__isnull=False, volume__isnull=True),
                name="item_number_unique_in_class",
            ),
            models.UniqueConstraint(
                fields=["volume", "number"],
                condition=Q(number__isnull=False, volume__isnull=False),
                name="item_number_unique_in_volume",
            ),
        ]

    @property
    def display_date(self) -> str:
        return f"[{self.date}]" if self.date and self.date_researched else self.date


class MasterFile(models.Model):
    """A page image's master file, stored once and never changed (DESIGN §8): content-addressed
    by its sha256 (computed once on arrival, checked again after writing), so the same scan
    arriving twice is one file, and metadata changes never move it. Its derivatives (a
    thumbnail, a reference image) are made off the request path by ``holdings.pages``."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    hash_algorithm = models.CharField(_("hash algorithm"), max_length=16, default="sha256", editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=8)  # JPEG, PNG, TIFF (Pillow's names)
    storage_name = models.CharField(_("stored as"), max_length=200, unique=True)
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))
    dpi = models.PositiveIntegerField(_("resolution (dpi)"), null=True, blank=True)
    colour_mode = models.CharField(_("colour mode"), max_length=8)  # Pillow's mode: L, RGB, CMYK…
    thumbnail_name = models.CharField(_("thumbnail"), max_length=200, blank=True)
    reference_name = models.CharField(_("reference image"), max_length=200, blank=True)
    derivatives_error = models.CharField(_("derivatives error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("master file")
        verbose_name_plural = _("master files")

    def __str__(self) -> str:
        return self.sha256[:12]

    @property
    def derivatives_ready(self) -> bool:
        return bool(self.thumbnail_name and self.reference_name)


class PageSource(models.TextChoices):
    PHONE = "phone", _("Photographed or attached when filing")
    BATCH = "batch", _("Digitisation batch")


class PageImage(models.Model):
    """A page of an item: its number and its master. The one model for every way pages arrive
    (a village archivist's photos, a digitisation batch, a lookup's page copies). A page is
    visible exactly when its item is (``holdings.pages.item_pages``); it has no scope of its own."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="pages")
    number = models.PositiveIntegerField(_("page"))
    master = models.ForeignKey(
        MasterFile, verbose_name=_("master file"), on_delete=models.PROTECT, related_name="pages"
    )
    source = models.CharField(_("source"), max_length=16, choices=PageSource.choices)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("page image")
        verbose_name_plural = _("page images")
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="page_number_unique_in_item")]

    def __str__(self) -> str:
        return f"{self.item_id}-{self.number:04d}"


class NumberCounter(models.Model):
    """The last number given in one numbering class, taken under a row lock (gap-free).

    ``key`` names the class, e.g. ``item:12:3:2015:1:BGS`` (fonds, category, year, retention,
    org) or ``in-volume:55``. The counter row and the numbered record commit together, so a
    rolled-back filing returns its number.
    """

    key = models.CharField(max_length=200, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number counter")

    def __str__(self) -> str:
        return f"{self.key} = {self.last_number}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CHECKING = "checking", _("Checking")
    INVALID = "invalid", _("Refused: errors found")
    CHECKED = "checked", _("Checked: no errors")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A spreadsheet import into one fonds: checked in full first (dry run), then committed
    all-or-nothing. Progress and the row-by-row report are kept for the user to see."""

    fonds = models.ForeignKey(Fonds, verbose_name=_("fonds"), on_delete=models.PROTECT, related_name="imports")
    custodian_unit = models.ForeignKey(
        Unit, verbose_name=_("custodian unit"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("check only"), default=True)
    keep_given_codes_as_original = models.BooleanField(
        _("keep mismatching codes as original codes and renumber"), default=False
    )
    accept_dates_outside_year = models.BooleanField(_("accept dates outside their year"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    imported_count = models.PositiveIntegerField(_("rows imported"), default=0)
    errors_preview = models.JSONField(_("first errors"), default=list, blank=True)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    warnings_preview = models.JSONField(_("first warnings"), default=list, blank=True)
    report = models.FileField(_("report"), upload_to="imports/reports/%Y/%m/", blank=True)
    message = models.TextField(_("message"), blank=True)
    # A checked job commits once: the job that imports its file (set under the checked job's row lock).
    committed_job = models.OneToOneField(
        "self",
        verbose_name=_("import of this checked file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checked_job",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When a worker took the job up and last reported progress: a job without either for a
    # while (IMPORT_STALE_MINUTES) has no worker, and can be queued again.
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = HoldingsQuerySet.as_manager()
    scope = ScopePolicy(resource=HOLDINGS, read_fields=("custodian_unit_id",), write_fields=("custodian_unit_id",))

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.fonds.code}"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.CHECKING, ImportStatus.IMPORTING)


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Writing")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """An export of catalogue records (XLSX, CSV, the printed PDF catalogue) written off the
    request path by a Celery task, with progress; the file is downloaded when it is ready.

    ``params`` holds what the export was asked for (filters, search terms, fonds); the task
    reads the records again through the creator's reach when it runs. Only the creator sees a
    job (:func:`holdings.exports.export_jobs`)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32, default="items")
    format = models.CharField(_("format"), max_length=8)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name or str(_("Export %(n)s") % {"n": self.pk})

    @property
    def progress_percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class RecordNames:
    """The names a person reads for a catalogue record's coded values: 门类 and 保管期限 by
    their names (``文书``, ``永久``, ``定期30年``), 密级, 开放状态, 状态 … by their choice labels.
    Codes belong in the 档号 and the API; pages, charts, spreadsheets and the printed catalogue
    show these names.

    Build one per page or export and ask it per row: choice labels are translated once (per
    row they cost more than the row), the reference tables are read at most once each, and a
    record's category and retention are read from its ``select_related`` rows — never a query
    per row.
    """

    REFERENCE_FIELDS = ("category", "retention")

    def __init__(self, model: type[models.Model] | None = None) -> None:
        self.model = model or Item
        self._labels: dict[str, dict[str, str]] = {}
        self._categories: dict[str, dict[Any, str]] | None = None
        self._retentions: dict[str, str] | None = None
        self._retention_order: dict[str, int] | None = None

    def label(self, field: str, value: Any) -> str:
        """A choice field's label for ``value`` (the value itself if it is not a choice)."""
        if field not in self._labels:
            choices = self.model._meta.get_field(field).flatchoices
            self._labels[field] = {str(key): str(text) for key, text in choices}
        return self._labels[field].get("" if value is None else str(value), "" if value is None else str(value))

    def of(self, record: Any, field: str) -> str:
        """The name of ``record``'s ``field``: a category's or retention period's name, a
        choice's label; empty for an empty reference or choice without a label."""
        if field in self.REFERENCE_FIELDS:
            related = getattr(record, field, None)
            return related.name if related is not None else ""
        return self.label(field, getattr(record, field))

    def _load_categories(self) -> dict[str, dict[Any, str]]:
        if self._categories is None:
            rows = list(Category.objects.values_list("pk", "code", "name"))
            self._categories = {"pk": {pk: name for pk, _code, name in rows}}
            self._categories["code"] = {code: name for _pk, code, name in rows}
        return self._categories

    def category(self, *, pk: Any = None, code: str | None = None) -> str:
        """A category's name by its id or its code (one query per instance, for all of them);
        an unknown one is returned as given."""
        categories = self._load_categories()
        if code is not None:
            return categories["code"].get(code, code)
        try:
            return categories["pk"].get(int(pk), str(pk))
        except (TypeError, ValueError):
            return str(pk)

    def retention(self, code: str) -> str:
        """A retention period's name by its code (``D30`` → ``定期30年``); unknown: as given."""
        if self._retentions is None:
            periods = list(RetentionPeriod.objects.values_list("code", "name", "sort_order"))
            self._retentions = {code: name for code, name, _order in periods}
            self._retention_order = {code: order for code, _name, order in periods}
        return self._retentions.get(code, code)

    def retention_order(self, code: str) -> tuple[int, str]:
        """A sort key that lists retention periods in their configured order (永久, 30年, 10年 …)."""
        self.retention(code)
        assert self._retention_order is not None
        return (self._retention_order.get(code, 1 << 15), code)


class FilingReminder(models.Model):
    """A reminder from the township (or the county) to a village of what it still owes for a
    year's filing (归档齐全). Shown on the village's home page until the village acknowledges it.
    ``missing`` keeps the entry codes owed when it was sent."""

    unit = models.ForeignKey(Unit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    message = models.CharField(_("message"), max_length=500, blank=True)
    missing = models.JSONField(_("entries missing"), default=list, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(resource=VILLAGE_CATALOGUE, read_fields=("unit_id",), write_fields=("unit_id",))

    class Meta:
        verbose_name = _("filing reminder")
        verbose_name_plural = _("filing reminders")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["unit", "acknowledged_at"], name="reminder_unit_open")]

    def __str__(self) -> str:
        return _("Filing reminder for %(unit)s, %(year)s") % {"unit": self.unit.name, "year": self.year}


class RecordPush(models.Model):
    """A set of open records the archive pushes down to a village or township (推送, e.g. a
    village's land-contract records): they find them in their own search, marked as pushed,
    until the push is revoked. The push and its revocation are kept for good."""

    source_unit = models.ForeignKey(Unit, verbose_name=_("pushed by"), on_delete=models.PROTECT, related_name="+")
    target_unit = models.ForeignKey(Unit, verbose_name=_("pushed to"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    note = models.CharField(_("note"), max_length=500, blank=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pushed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pushed_at = models.DateTimeField(_("pushed at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = ScopePolicy(
        resource=RECORD_PUSH, read_fields=("source_unit_id", "target_unit_id"), write_fields=("source_unit_id",)
    )

    class Meta:
        verbose_name = _("push")
        verbose_name_plural = _("pushes")
        ordering = ["-pushed_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PushedItem(models.Model):
    """An item of a push; ``target_unit`` and ``active`` repeat the push's so that the items
    pushed to a unit are one index read."""

    push = models.ForeignKey(RecordPush, verbose_name=_("push"), on_delete=models.PROTECT, related_name="pushed_items")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="pushes")
    target_unit = models.ForeignKey(Unit, verbose_name=_("pushed to"), on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pushed item")
        verbose_name_plural = _("pushed items")
        constraints = [models.UniqueConstraint(fields=["push", "item"], name="pushed_item_once")]
        indexes = [
            models.Index(fields=["target_unit", "item"], name="pushed_to_unit", condition=Q(active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.push_id}:{self.item_id}"


def pushed_rows(user: Any, unit_ids: list[int]) -> Q | None:
    """The items pushed to ``unit_ids`` and still readable there (open, unclassified), as a
    condition; None when none are (the common case costs one cached query per request)."""
    cache = scope_cache(user)
    key = ("pushed", tuple(unit_ids))
    if key not in cache:
        cache[key] = PushedItem.objects.filter(target_unit_id__in=unit_ids, active=True).exists()
    if not cache[key]:
        return None
    pushed = PushedItem.objects.filter(target_unit_id__in=unit_ids, active=True).values("item_id")
    return Q(pk__in=pushed, status=RecordStatus.FILED) & CatalogueRecord.scope.open_rows
