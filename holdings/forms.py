"""Staff forms. They validate input for people; the services still enforce every rule."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from archives_site.forms import BootstrapFormMixin, ServiceFieldsMixin
from archives_site.scoping import Action, user_scope
from villages.models import CustodyMode, Unit
from villages.roles import HOLDINGS
from villages.selectors import units_in_reach

from . import services
from .dates import parse_catalogue_date
from .models import Category, Fonds, Item, OpenStatus, RecordStatus, RetentionPeriod, Volume


class ItemFilterForm(BootstrapFormMixin, forms.Form):
    """The filters of the item list; the same names as the API's query parameters."""

    q = forms.CharField(label=_("Search"), required=False)
    fonds = forms.ModelChoiceField(label=_("Fonds"), queryset=Fonds.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1000, max_value=9999)
    retention = forms.ModelChoiceField(
        label=_("Retention"), queryset=RetentionPeriod.objects.all(), to_field_name="code", required=False
    )
    open_status = forms.ChoiceField(label=_("Open status"), choices=[("", "—"), *OpenStatus.choices], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", "—"), *RecordStatus.choices], required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fonds"].queryset = Fonds.objects.restrict(user, Action.VIEW).order_by("code")
        self.fields["unit"].queryset = Unit.objects.restrict(user, Action.VIEW).order_by("path")


# Where a record is kept and how it is described, in the form's order (the services own which
# fields may be written at all: services.ITEM_FIELDS / VOLUME_FIELDS).
_DESCRIPTION_FIELDS = [
    "page_count",
    "classification",
    "classification_term",
    "open_status",
    "disclosure",
    "carrier",
    "generation",
    "storeroom",
    "cabinet",
    "shelf",
    "layer",
    "box",
    "original_code",
    "note",
]
_CLASS_FIELDS = [name for name in services.CLASS_FIELDS if name != "volume"]
_WIDGETS = {"title": forms.Textarea(attrs={"rows": 2}), "note": forms.Textarea(attrs={"rows": 2})}


class CatalogueRecordForm(BootstrapFormMixin, forms.ModelForm):
    """Create or edit an item or a volume. Class fields are locked once it is filed (renumbering)."""

    confirm_date = forms.BooleanField(
        label=_("The date lies outside the year, but the record belongs to this year"),
        required=False,
        help_text=_("Tick only when the service asked you to confirm it (e.g. a plan filed with the year it is for)."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fonds"].queryset = Fonds.objects.restrict(user, Action.ADD).order_by("code")
        self.fields["retention"].queryset = RetentionPeriod.objects.filter(is_legacy=False)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        if self.instance.pk and self.instance.number is not None:
            for name in _CLASS_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Filed: changing this needs a renumbering.")

    def _clean_date(self, name: str) -> tuple[str, bool] | None:
        """A 日期 field typed as people type it (dashes, dots), stored as YYYYMMDD."""
        try:
            return parse_catalogue_date(self.cleaned_data.get(name))
        except ValidationError as exc:
            self.add_error(name, exc)
            return None


class ItemForm(CatalogueRecordForm):
    """An item filed alone (件), or inside a volume (卷内文件) when it comes from the volume's page:
    then the volume rides along hidden and the item takes the volume's fonds and class."""

    date = forms.CharField(
        label=_("Date"), required=False, max_length=20, help_text=_("YYYYMMDD; [19450815] if established by research")
    )

    class Meta:
        model = Item
        fields = [
            *_CLASS_FIELDS,
            "volume",
            "title",
            "responsible",
            "doc_number",
            "date",
            "date_researched",
            *_DESCRIPTION_FIELDS,
        ]
        widgets = {**_WIDGETS, "volume": forms.HiddenInput}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["volume"].queryset = Volume.objects.restrict(user, Action.ADD)
        if self.instance.pk and self.instance.number is not None:
            self.fields["volume"].disabled = True
        elif not self.instance.pk and self.initial.get("volume"):
            for name in _CLASS_FIELDS:  # 卷内文件 are of their volume's fonds and class
                self.fields[name].disabled = True
                self.fields[name].help_text = _("As the volume.")

    def volume_shown(self) -> Volume | None:
        """The volume this item is (to be) filed in, for the page to name it."""
        value = self["volume"].value()
        if not value:
            return None
        return self.fields["volume"].queryset.filter(pk=value).select_related("fonds").first()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        parsed = self._clean_date("date")
        if parsed is None:
            return cleaned
        date, researched = parsed
        cleaned["date"] = date
        cleaned["date_researched"] = cleaned.get("date_researched") or researched
        self.instance.date, self.instance.date_researched = date, cleaned["date_researched"]
        return cleaned


class VolumeForm(CatalogueRecordForm):
    start_date = forms.CharField(label=_("Start date"), required=False, max_length=20, help_text=_("YYYYMMDD"))
    end_date = forms.CharField(label=_("End date"), required=False, max_length=20, help_text=_("YYYYMMDD"))

    class Meta:
        model = Volume
        fields = [*_CLASS_FIELDS, "title", "responsible", "start_date", "end_date", *_DESCRIPTION_FIELDS]
        widgets = _WIDGETS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("start_date", "end_date"):
            parsed = self._clean_date(name)
            if parsed is None:
                continue
            date, researched = parsed
            if researched:
                self.add_error(
                    name, _("A volume's dates have no 'established by research' mark: leave out the brackets.")
                )
                continue
            cleaned[name] = date
            setattr(self.instance, name, date)
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end.ljust(8, "9") < start.ljust(8, "0") and not self.errors:
            self.add_error("end_date", _("The end date is before the start date."))
        return cleaned


class ImportForm(BootstrapFormMixin, forms.Form):
    fonds = forms.ModelChoiceField(label=_("Fonds"), queryset=Fonds.objects.none())
    file = forms.FileField(label=_("Spreadsheet (XLSX or CSV)"))
    keep_given_codes_as_original = forms.BooleanField(
        label=_("Where a given reference code differs from the template, keep it as the original code and renumber"),
        required=False,
    )
    accept_dates_outside_year = forms.BooleanField(
        label=_("Accept dates outside their year (the records belong to the year given, whatever their date)"),
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fonds"].queryset = Fonds.objects.restrict(user, Action.ADD).order_by("code")

    def clean_file(self) -> Any:
        from .imports import check_upload

        upload = self.cleaned_data["file"]
        check_upload(upload)  # the size limits, before anything is stored
        head = upload.read(8)
        upload.seek(0)
        name = upload.name.lower()
        if name.endswith(".xlsx"):
            if not head.startswith(b"PK"):
                raise forms.ValidationError(_("This file is not a real XLSX workbook. Save it again as .xlsx."))
        elif not name.endswith(".csv"):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        return upload


class RenumberForm(BootstrapFormMixin, forms.Form):
    """Move a filed item to another class: a new number there; the old one stays withdrawn."""

    year = forms.IntegerField(label=_("Year"), min_value=1000, max_value=9999)
    retention = forms.ModelChoiceField(label=_("Retention"), queryset=RetentionPeriod.objects.filter(is_legacy=False))
    org_code = forms.CharField(label=_("Organisation/subject code"), max_length=16, required=False)
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), max_length=500)


class FondsForm(BootstrapFormMixin, ServiceFieldsMixin, forms.ModelForm):
    """Register a fonds or edit one. The units offered are those whose records the user keeps
    (write reach on holdings); the service checks them again, and the number once records are filed."""

    class Meta:
        model = Fonds
        fields = ["code", "name", "creating_unit", "custodian_unit", "start_year", "end_year", "history"]
        widgets = {"history": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = Action.CHANGE if self.instance.pk else Action.ADD
        scope = user_scope(user, HOLDINGS, action)
        units = Unit.objects.filter(is_active=True) if scope.everything else Unit.objects.filter(pk__in=scope.unit_ids)
        if self.instance.pk:  # the units it has now stay choices (the service checks a change)
            units = units | Unit.objects.filter(
                pk__in=[self.instance.creating_unit_id, self.instance.custodian_unit_id]
            )
        for name in ("creating_unit", "custodian_unit"):
            self.fields[name].queryset = units.order_by("path")
        if self.instance.pk and services.fonds_has_filed_records(self.instance):
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _(
                "The fonds has filed records: its number is part of their codes and stays."
            )


class MultipleImageInput(forms.ClearableFileInput):
    """A file input that takes several files: photos taken one after another, or scans."""

    allow_multiple_selected = True


class PageFilesField(forms.FileField):
    """Several page images at once (the service checks each; this only collects them)."""

    widget = MultipleImageInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/tiff", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(PageFilesField, self).clean(upload, initial) for upload in files]


class EntryFilingForm(BootstrapFormMixin, forms.Form):
    """Filing one item under an entry of the village's catalogue, from a phone: the entry gives
    the category and retention, the village's fonds is chosen for a one-fonds user, and the
    pages are photographed or attached."""

    fonds = forms.ModelChoiceField(label=_("Fonds"), queryset=Fonds.objects.none(), empty_label=None)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.CharField(
        label=_("Date"), required=False, max_length=20, help_text=_("YYYYMMDD; [19450815] if established by research")
    )
    responsible = forms.CharField(label=_("Responsible party"), max_length=300, required=False)
    doc_number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    note = forms.CharField(label=_("Remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    pages = PageFilesField(
        label=_("Page images"),
        required=False,
        help_text=_("Photograph the pages in order, or choose scans (JPEG, PNG or TIFF); several at once."),
    )

    def __init__(self, *args: Any, user: Any, entry: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fonds = Fonds.objects.restrict(user, Action.ADD).filter(creating_unit_id=entry.unit_id).order_by("code")
        self.fields["fonds"].queryset = fonds
        self.one_fonds = fonds.count() == 1
        if self.one_fonds:  # a one-fonds user never picks a fonds
            self.fields["fonds"].widget = forms.HiddenInput()
            self.initial.setdefault("fonds", fonds.first().pk)

    def clean_date(self) -> str:
        date, researched = parse_catalogue_date(self.cleaned_data.get("date"))
        self.cleaned_data["date_researched"] = researched
        return date


class CustodyChangeForm(BootstrapFormMixin, forms.Form):
    """A change of who keeps a village's records: the mode, the keeper under 托管, the date it
    took effect and the reason (the decision's document number)."""

    mode = forms.ChoiceField(label=_("Custody mode"), choices=CustodyMode.choices)
    keeper = forms.ModelChoiceField(
        label=_("Kept by (entrusted custody)"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("Only for entrusted custody: the archive or the unit that keeps the records."),
    )
    effective_date = forms.DateField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("The decision and its document number."))

    def __init__(self, *args: Any, user: Any, village: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .custody import KEEPER_KINDS

        self.fields["keeper"].queryset = (
            units_in_reach(user=user, resource=HOLDINGS, action=Action.CHANGE)
            .filter(kind__in=KEEPER_KINDS)
            .exclude(pk=village.pk)
        )


class PushForm(BootstrapFormMixin, forms.Form):
    """Pushing open records of a fonds down to a village or township: what and to whom."""

    target_unit = forms.ModelChoiceField(label=_("Push to"), queryset=Unit.objects.none())
    fonds = forms.ModelChoiceField(label=_("Fonds"), queryset=Fonds.objects.none())
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, help_text=_("With its subdivisions.")
    )
    year_from = forms.IntegerField(label=_("From year"), min_value=1900, max_value=2100, required=False)
    year_to = forms.IntegerField(label=_("To year"), min_value=1900, max_value=2100, required=False)
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("What the village will see, e.g. 青石村土地承包档案 1998–2008.")
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from villages.roles import RECORD_PUSH

        from .pushes import TARGET_KINDS

        self.fields["target_unit"].queryset = units_in_reach(user=user, resource="unit", action=Action.VIEW).filter(
            kind__in=TARGET_KINDS
        )
        pushing_from = user_scope(user, RECORD_PUSH, Action.ADD)
        fonds = Fonds.objects.restrict(user, Action.VIEW).order_by("code")
        self.fields["fonds"].queryset = (
            fonds if pushing_from.everything else fonds.filter(custodian_unit_id__in=pushing_from.unit_ids)
        )
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by("code")


class PushRevokeForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for revoking"), max_length=200)
