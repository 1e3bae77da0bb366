"""Forms of the archive-room pages (saves go through :mod:`inspections.rooms` and
:mod:`inspections.climate`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from archives_site.forms import BootstrapFormMixin
from holdings.forms import PageFilesField

from .models import ArchiveRoom, CheckStatus, RoomStaff, Training

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoomForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = ArchiveRoom
        fields = ["location", "area_m2", "cabinets", "equipment", "note"]
        widgets = {"equipment": forms.Textarea(attrs={"rows": 4}), "note": forms.Textarea(attrs={"rows": 2})}


class CheckForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CheckStatus.choices)
    checked_on = forms.DateField(label=_("Checked on"), widget=DATE)
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was seen, and what is still to be done."),
    )
    photos = PageFilesField(
        label=_("Evidence photos"),
        required=False,
        help_text=_(
            "Photograph the evidence (the extinguisher, the dehumidifier, the rules on the wall); several at once."
        ),
    )


class StaffForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = RoomStaff
        fields = ["name", "position", "full_time", "since", "left_on"]
        widgets = {"since": DATE, "left_on": DATE}


class TrainingForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Training
        fields = ["date", "title", "organiser", "hours", "certificate"]
        widgets = {"date": DATE}


class ReadingForm(BootstrapFormMixin, forms.Form):
    taken_at = forms.DateTimeField(
        label=_("Taken at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    temperature = forms.DecimalField(
        label=_("Temperature (°C)"), max_digits=4, decimal_places=1, min_value=-50, max_value=70
    )
    humidity = forms.DecimalField(
        label=_("Relative humidity (%)"), max_digits=4, decimal_places=1, min_value=0, max_value=100
    )


class ClimateImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Logger file (CSV)"),
        help_text=_(
            "The CSV export of a temperature and humidity logger, with columns named like 时间, 温度 and 湿度; "
            "UTF-8 or GBK. Readings already in the log are skipped."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
