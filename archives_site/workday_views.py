"""The working-day calendar page (工作日历, ``/calendar/``): a year as twelve month grids with its
holidays (休) and make-up working days (班), for every staff role; for the county administrator
also recording, changing and removing a day, pasting a year's list and confirming a year. Every
write goes through :mod:`archives_site.workdays` (audited, cache dropped); each is idempotent,
so a second submit of the same form changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from villages.roles import WORKDAY_CALENDAR

from . import workdays
from .filters import whole_number
from .forms import BootstrapFormMixin, add_service_errors
from .models import CALENDAR_YEAR_MAX, CALENDAR_YEAR_MIN, CalendarDayKind
from .scoping import Action, user_can

app_name = "calendar"


def may_read(user: Any) -> bool:
    return user_can(user, WORKDAY_CALENDAR, Action.VIEW)


def may_edit(user: Any) -> bool:
    return user_can(user, WORKDAY_CALENDAR, Action.CHANGE)


def _require(request: HttpRequest, edit: bool = False) -> None:
    if not may_read(request.user):
        raise PermissionDenied(_("The working-day calendar is for the staff of the archives network."))
    if edit and not may_edit(request.user):
        raise PermissionDenied(_("Only the county administrator keeps the working-day calendar."))


def _year_range_error() -> str:
    return _("Give a year between %(low)s and %(high)s.") % {"low": CALENDAR_YEAR_MIN, "high": CALENDAR_YEAR_MAX}


class BoundedDateField(forms.DateField):
    """A date of the calendar's years (1900–2100), or a form error saying so."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        day = super().clean(value)
        if day is not None and not CALENDAR_YEAR_MIN <= day.year <= CALENDAR_YEAR_MAX:
            raise ValidationError(_year_range_error(), code="out_of_range")
        return day


class YearField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=CALENDAR_YEAR_MIN, max_value=CALENDAR_YEAR_MAX, **kwargs)


class DayForm(BootstrapFormMixin, forms.Form):
    date = BoundedDateField(label=gettext_lazy("Date"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[
            (CalendarDayKind.HOLIDAY, gettext_lazy("休 — day off (on a weekday)")),
            (CalendarDayKind.WORKDAY, gettext_lazy("班 — make-up working day (on a weekend)")),
        ],
    )
    name = forms.CharField(
        label=gettext_lazy("Holiday"), max_length=50, required=False, help_text=gettext_lazy("e.g. 春节")
    )


class RemoveForm(forms.Form):
    date = BoundedDateField()


class ConfirmForm(forms.Form):
    year = YearField()


class PasteForm(BootstrapFormMixin, forms.Form):
    year = YearField(label=gettext_lazy("Year"))
    text = forms.CharField(
        label=gettext_lazy("The year's days, one a line"),
        max_length=workdays.MAX_PASTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "2027-01-01 休 元旦\n2027-02-07 班 春节"}),
        help_text=gettext_lazy(
            "Date, then 休 (day off) or 班 (make-up working day), then the holiday's name. A holiday's weekend days may "
            "be listed too: they are rest days anyway and left out."
        ),
    )
    confirm = forms.BooleanField(label=gettext_lazy("Confirm the year as complete"), required=False)


def page_url(year: int, anchor: str = "") -> str:
    return f"{reverse('calendar:year')}?year={year}{anchor}"


def _render(
    request: HttpRequest,
    year: int,
    *,
    status: int = 200,
    year_error: str = "",
    day_form: DayForm | None = None,
    paste_form: PasteForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    days = workdays.calendar_year_days(year)
    editable = may_edit(request.user)
    if day_form is None and editable:
        initial: dict[str, Any] = {"kind": CalendarDayKind.HOLIDAY}
        chosen = _date_param(request.GET.get("date"))
        if chosen is not None and chosen.year == year:
            recorded = next((row for row in days if row.date == chosen), None)
            initial = {"date": chosen, "kind": recorded.kind if recorded else _natural_kind(chosen)}
            initial["name"] = recorded.name if recorded else ""
        day_form = DayForm(initial=initial)
    if paste_form is None and editable:
        paste_form = PasteForm(initial={"year": year})
    missing = workdays.missing_years(today)
    next_year = today.year + 1
    context = {
        "year": year,
        "today": today,
        "months": workdays.calendar_months(year, days),
        "days": days,
        "record": workdays.calendar_year_record(year),
        "year_confirmed": workdays.year_is_confirmed(year),
        "this_year_missing": today.year in missing,
        "next_year": next_year,
        "next_year_missing": next_year in missing,
        "next_year_overdue": workdays.next_year_overdue(today) is not None,
        "next_record": workdays.calendar_year_record(next_year) if next_year in missing else None,
        "editable": editable,
        "day_form": day_form,
        "paste_form": paste_form,
        "errors": errors or [],
        "year_error": year_error,
        "previous_year": year - 1 if year > CALENDAR_YEAR_MIN else None,
        "following_year": year + 1 if year < CALENDAR_YEAR_MAX else None,
        "weekday_names": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }
    return render(request, "calendar/year.html", context, status=status)


def _date_param(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _natural_kind(day: dt.date) -> str:
    """What a day would be recorded as: a weekend becomes a working day, a weekday a holiday."""
    return CalendarDayKind.WORKDAY if day.weekday() >= 5 else CalendarDayKind.HOLIDAY


@login_required
@require_GET
def calendar_year(request: HttpRequest) -> HttpResponse:
    """A year of the calendar (``?year=``, this year by default)."""
    _require(request)
    raw = request.GET.get("year")
    year = timezone.localdate().year
    if raw not in (None, ""):
        parsed = whole_number(raw, CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX)
        if parsed is None:
            return _render(request, year, status=400, year_error=_year_range_error())
        year = parsed
    return _render(request, year)


@login_required
@require_POST
def day_save(request: HttpRequest) -> HttpResponse:
    """Record a day as 休 or 班 (or change what is recorded)."""
    _require(request, edit=True)
    form = DayForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["date"]
        try:
            _row, changed = workdays.calendar_day_set(
                actor=request.user,
                day=day,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("%(date)s is recorded.") % {"date": day.isoformat()})
            else:
                messages.info(
                    request, _("Nothing changed: %(date)s was recorded so already.") % {"date": day.isoformat()}
                )
            return redirect(page_url(day.year, f"#month-{day.month}"))
    year = _form_year(form, "date")
    return _render(request, year, status=400, day_form=form)


@login_required
@require_POST
def day_remove(request: HttpRequest) -> HttpResponse:
    """Remove what is recorded for a day; removing it again is harmless."""
    _require(request, edit=True)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return _render(request, timezone.localdate().year, status=400, errors=_form_errors(form))
    day = form.cleaned_data["date"]
    if workdays.calendar_day_remove(actor=request.user, day=day, request=request):
        messages.success(request, _("%(date)s is an ordinary day again.") % {"date": day.isoformat()})
    else:
        messages.info(request, _("Nothing to remove: %(date)s records nothing.") % {"date": day.isoformat()})
    return redirect(page_url(day.year, f"#month-{day.month}"))


@login_required
@require_POST
def year_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm a year's calendar as complete."""
    _require(request, edit=True)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _render(request, timezone.localdate().year, status=400, errors=[_year_range_error()])
    year = form.cleaned_data["year"]
    try:
        _record, changed = workdays.calendar_year_confirm(actor=request.user, year=year, request=request)
    except ValidationError as exc:
        return _render(request, year, status=400, errors=exc.messages)
    if changed:
        messages.success(request, _("The calendar of %(year)s is confirmed.") % {"year": year})
    else:
        messages.info(request, _("The calendar of %(year)s was confirmed already.") % {"year": year})
    return redirect(page_url(year))


@login_required
@require_POST
def paste(request: HttpRequest) -> HttpResponse:
    """Record a pasted list of a year's days, all or nothing."""
    _require(request, edit=True)
    form = PasteForm(request.POST)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            result = workdays.calendar_paste(
                actor=request.user,
                year=year,
                text=form.cleaned_data["text"],
                confirm=form.cleaned_data["confirm"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("text", exc.messages)
        else:
            _paste_messages(request, result)
            return redirect(page_url(year))
    return _render(request, _form_year(form, "year"), status=400, paste_form=form)


def _paste_messages(request: HttpRequest, result: workdays.PasteResult) -> None:
    counts = {"added": len(result.added), "changed": len(result.changed), "unchanged": len(result.unchanged)}
    if result.added or result.changed:
        messages.success(
            request, _("Recorded: %(added)s days added, %(changed)s changed, %(unchanged)s as they were.") % counts
        )
    else:
        messages.info(request, _("Nothing changed: every day of the list was recorded so already."))
    if result.weekend_skipped:
        messages.info(
            request,
            _("Left out, being Saturdays or Sundays (rest days anyway): %(dates)s.")
            % {"dates": "、".join(day.isoformat() for day in result.weekend_skipped)},
        )
    if result.not_in_list:
        messages.warning(
            request,
            _("Recorded already but not in your list (kept; remove them if they are wrong): %(dates)s.")
            % {"dates": "、".join(day.isoformat() for day in result.not_in_list)},
        )
    if result.confirmed:
        messages.success(request, _("The calendar of %(year)s is confirmed.") % {"year": result.year})


def _form_year(form: forms.Form, name: str) -> int:
    value = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
    if isinstance(value, dt.date):
        return value.year
    if isinstance(value, int):
        return value
    return timezone.localdate().year


def _form_errors(form: forms.Form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


urlpatterns = [
    path("", calendar_year, name="year"),
    path("day/", day_save, name="day-save"),
    path("day/remove/", day_remove, name="day-remove"),
    path("confirm/", year_confirm, name="year-confirm"),
    path("paste/", paste, name="paste"),
]
