"""Filing completeness pages (归档齐全): the county's townships compared, a township's villages ×
entries heat-map, a village's entries × years, and the reminders a township sends a village.

Which page a unit gets follows its kind (:func:`holdings.completeness.level`); a unit outside
the reader's reach for village catalogues is a 404, like any record out of reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archives_site.dashboard import Chart
from archives_site.filters import MAX_ID, whole_number
from archives_site.scoping import Action, user_can, user_scope
from villages.models import Unit
from villages.roles import HOLDINGS, VILLAGE_CATALOGUE

from .. import completeness
from ..completeness import State
from ..dashboard import list_url
from ..models import FilingReminder

CHART_YEARS = 10
FIRST_YEAR = 1949


def _page_url(unit: Unit, year: int) -> str:
    return list_url("holdings:completeness", unit=unit.pk, year=year)


def _reached_unit(request: HttpRequest, raw: str | None) -> Unit:
    """The unit asked for (none: the reader's own), if in reach; else 404."""
    if raw in (None, ""):
        home = completeness.home_unit(request.user)
        unit = completeness.unit_in_reach(request.user, home.pk if home else None)
    else:
        unit = completeness.unit_in_reach(request.user, whole_number(raw, 1, MAX_ID))
    if unit is None:
        raise Http404
    return unit


@login_required
def completeness_page(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, VILLAGE_CATALOGUE, Action.VIEW):
        raise PermissionDenied
    unit = _reached_unit(request, request.GET.get("unit"))
    this_year = timezone.localdate().year
    year = whole_number(request.GET.get("year"), FIRST_YEAR, this_year) or this_year
    years = list(range(max(FIRST_YEAR, year - CHART_YEARS + 1), year + 1))
    figures = completeness.for_unit(unit, up_to_year=year)
    villages = figures.villages
    scope = user_scope(request.user, VILLAGE_CATALOGUE, Action.VIEW)
    context: dict[str, Any] = {
        "unit": unit,
        "level": completeness.level(unit),
        "year": year,
        "year_choices": sorted({*range(this_year, this_year - 20, -1), year}, reverse=True),
        "ancestors": [
            u for u in Unit.objects.filter(pk__in=unit.ancestor_ids).order_by("depth") if scope.contains(u.pk)
        ],
        "total": figures.total(year),
        "village_count": len(villages),
        "without_catalogue": [v for v in villages if v.pk not in figures.catalogued],
        "without_catalogue_names": [v.name for v in villages if v.pk not in figures.catalogued][:10],
        "state_labels": State.LABELS,
        "over_years": _chart_over_years(figures, years),
    }
    level = context["level"]
    if level == "county":
        context["townships"] = [
            {
                "unit": township,
                "villages": len(ids),
                "score": figures.total(year, ids),
                "url": _page_url(township, year),
            }
            for township, ids in completeness.groups_of(unit, villages)
        ]
    elif level == "township":
        columns = figures.columns()
        can_remind = user_scope(request.user, VILLAGE_CATALOGUE, Action.ADD)
        last_sent = dict(
            FilingReminder.objects.filter(unit__in=villages, year=year)
            .order_by("unit_id", "sent_at")
            .values_list("unit_id", "sent_at")
        )
        context.update(
            columns=columns,
            rows=[
                {
                    "unit": village,
                    "score": figures.score(village.pk, year),
                    "cells": _cells(figures.row(village.pk, year, columns)),
                    "url": _page_url(village, year),
                    "can_remind": can_remind.contains(village.pk),
                    "last_sent": last_sent.get(village.pk),
                }
                for village in villages
            ],
        )
    else:
        entries = figures.entries.get(unit.pk, [])
        context.update(
            years=years,
            entry_rows=[{"entry": e, "cells": _cells((figures.state(e, y), None) for y in years)} for e in entries],
            year_scores=[figures.score(unit.pk, y) for y in years],
            missing=figures.score(unit.pk, year).missing,
            can_file=user_can(request.user, HOLDINGS, Action.ADD)
            and user_scope(request.user, HOLDINGS, Action.ADD).contains(unit.pk),
            reminders=FilingReminder.objects.restrict(request.user, Action.VIEW)
            .filter(unit=unit, acknowledged_at__isnull=True)
            .select_related("sent_by")
            .order_by("-sent_at")[:5],
            can_acknowledge=completeness.may_acknowledge(request.user, unit.pk),
        )
    return render(request, "holdings/completeness.html", context)


def _cells(states: Iterable[tuple[str, Any]]) -> str:
    """A heat-map row's cells as HTML, built here: 90 villages × 20 entries is 1,800 cells, too
    many for the template language on a page that must answer in 200 ms. Each cell says its state
    in a hidden text (the colour and symbol come from site.css)."""
    labels = {state: str(label) for state, label in State.LABELS.items()}
    return format_html_join(
        "",
        '<td class="cm-cell cm-{}" data-state="{}" title="{}"><span class="visually-hidden">{}</span></td>',
        (
            (state, state, f"{entry.code} {entry.title} · {labels[state]}" if entry else labels[state], labels[state])
            for state, entry in states
        ),
    )


def _chart_over_years(figures: completeness.Completeness, years: list[int]) -> Chart:
    values = [figures.total(y).percent or 0 for y in years]
    return Chart(
        labels=[str(y) for y in years],
        values=values,
        unit="%",
        x_label=_("Year"),
        y_label=_("Filed share of required entries (%)"),
        caption=_("Filed share of the required entries, by year"),
    )


@login_required
@require_POST
def completeness_remind(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a village a reminder of what it owes for a year (the township's or the county's)."""
    scope = user_scope(request.user, VILLAGE_CATALOGUE, Action.VIEW)
    village = get_object_or_404(Unit, pk=pk)
    if not scope.contains(village.pk):
        raise Http404
    year = whole_number(request.POST.get("year"), FIRST_YEAR, timezone.localdate().year)
    shown = year or timezone.localdate().year
    # Back to the township's heat-map the button was on (a unit that is no village: the start page).
    back = (
        _page_url(village.parent, shown)
        if village.is_village and scope.contains(village.parent_id)
        else f"{reverse('holdings:completeness')}?year={shown}"
    )
    if year is None:
        messages.error(request, _("Choose a year."))
        return redirect(back)
    try:
        reminder = completeness.reminder_send(
            actor=request.user, village=village, year=year, message=request.POST.get("message", ""), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(
        request,
        _("%(unit)s is reminded of %(n)s missing entries for %(year)s.")
        % {"unit": village.name, "n": len(reminder.missing), "year": year},
    )
    return redirect(back)


@login_required
@require_POST
def reminder_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    reminder = get_object_or_404(FilingReminder.objects.restrict(request.user, Action.VIEW), pk=pk)
    completeness.reminder_acknowledge(actor=request.user, reminder=reminder, request=request)
    messages.success(request, _("The reminder is marked as read."))
    return redirect(_page_url(reminder.unit, reminder.year))
