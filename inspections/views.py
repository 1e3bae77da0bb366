"""Archive-room pages: the rooms in reach, a room with its checklists, staff and climate, and
the forms that record them (phone-friendly: a village archivist photographs the evidence)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from archives_site.dashboard import Chart
from archives_site.filters import MAX_ID
from archives_site.forms import add_service_errors, form_nonce, spend_nonce
from holdings.pages import file_response
from villages.models import Unit

from . import climate, rooms
from .forms import CheckForm, ClimateImportForm, ReadingForm, RoomForm, StaffForm, TrainingForm
from .models import CHECKLIST_ITEMS, Checklist, CheckStatus, ClimateReading, RoomCheck, RoomEvidence, RoomStaff


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    unit = rooms.unit_in_reach(request.user, unit_id) if unit_id <= MAX_ID else None
    if unit is None:
        raise Http404
    return unit


def _writable(request: HttpRequest, unit_id: int) -> Unit:
    unit = _unit(request, unit_id)
    if not rooms.may_change(request.user, unit):
        raise PermissionDenied
    return unit


@login_required
def room_list(request: HttpRequest) -> HttpResponse:
    """Every room in reach with its checklists met, staff, and last month's climate."""
    units = rooms.room_units(request.user)
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:50]
    if q:
        units = units.filter(name__icontains=q)
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    room_ids = [unit.archive_room.pk for unit in page if hasattr(unit, "archive_room")]
    met = {
        (row["room_id"], row["checklist"]): row["n"]
        for row in RoomCheck.objects.filter(room_id__in=room_ids, status=CheckStatus.MET)
        .values("room_id", "checklist")
        .annotate(n=Count("id"))
    }
    staff = dict(
        RoomStaff.objects.filter(room_id__in=room_ids, left_on__isnull=True)
        .values("room_id")
        .annotate(n=Count("id"))
        .values_list("room_id", "n")
    )
    since = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    readings = {
        row["room_id"]: row
        for row in ClimateReading.objects.filter(room_id__in=room_ids)
        .values("room_id")
        .annotate(
            last=Max("taken_at"),
            month=Count("id", filter=Q(taken_at__gte=since)),
            excursions=Count("id", filter=Q(taken_at__gte=since) & climate.excursion_rows()),
        )
    }
    rows = []
    for unit in page:
        room = getattr(unit, "archive_room", None)
        key = room.pk if room else None
        rows.append(
            {
                "unit": unit,
                "room": room,
                "bafang": met.get((key, Checklist.EIGHT_PROTECTIONS), 0),
                "qiyou": met.get((key, Checklist.SEVEN_HAVES), 0),
                "staff": staff.get(key, 0),
                "climate": readings.get(key),
            }
        )
    sizes = {name: len(items) for name, items in CHECKLIST_ITEMS.items()}
    return render(
        request,
        "inspections/room_list.html",
        {"rows": rows, "page_obj": page, "is_paginated": page.has_other_pages(), "q": q, "sizes": sizes},
    )


def _monthly_chart(months: list[climate.Month]) -> Chart:
    return Chart(
        labels=[f"{m.month:%Y-%m}" for m in months],
        values=[m.excursions for m in months],
        unit=_("readings"),
        x_label=_("Month"),
        y_label=_("Readings outside the ranges"),
        caption=_("Readings outside the temperature or humidity range, per month"),
        extra_column=(_("All readings"), [m.readings for m in months]),
    )


def _last_year(room: Any) -> list[climate.Month]:
    if room is None:
        return []
    since = (timezone.localdate().replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    return climate.monthly(ClimateReading.objects.filter(room=room, taken_at__gte=start))


@login_required
def room_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    room = getattr(unit, "archive_room", None)
    months = _last_year(room)
    staff = list(room.staff.prefetch_related("trainings")) if room else []
    return render(
        request,
        "inspections/room_detail.html",
        {
            "unit": unit,
            "room": room,
            "checklists": [(Checklist(key), rows) for key, rows in rooms.checklists(room).items()],
            "staff": staff,
            "months": months,
            "chart": _monthly_chart(months),
            "may_change": rooms.may_change(request.user, unit),
            "ranges": climate.ranges(),
        },
    )


@login_required
def room_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _writable(request, unit_id)
    room = getattr(unit, "archive_room", None)
    form = RoomForm(request.POST or None, instance=room)
    if request.method == "POST" and form.is_valid():
        try:
            rooms.room_update(actor=request.user, unit=unit, data=form.cleaned_data, request=request)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The room is saved."))
            return redirect("inspections:room-detail", unit_id=unit.pk)
    return render(request, "inspections/room_form.html", {"unit": unit, "form": form})


@login_required
def check_edit(request: HttpRequest, unit_id: int, checklist: str, item: str) -> HttpResponse:
    """Record one checklist item with evidence photos (from a phone's camera)."""
    unit = _writable(request, unit_id)
    label = dict(CHECKLIST_ITEMS.get(checklist, ())).get(item)
    if label is None:
        raise Http404
    room = getattr(unit, "archive_room", None)
    check = RoomCheck.objects.filter(room=room, checklist=checklist, item=item).first() if room else None
    initial = (
        {"status": check.status, "checked_on": timezone.localdate(), "note": check.note}
        if check
        else {"checked_on": timezone.localdate()}
    )
    form = CheckForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and not spend_nonce(request):  # a second click, a reload
        messages.info(request, _("This was already recorded."))
        return redirect("inspections:room-detail", unit_id=unit.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rooms.check_record(
                actor=request.user,
                unit=unit,
                checklist=checklist,
                item=item,
                status=data["status"],
                checked_on=data["checked_on"],
                note=data["note"],
                photos=data["photos"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(item)s is recorded.") % {"item": label})
            return redirect(f"{_room_url(unit)}#{checklist}")
    return render(
        request,
        "inspections/check_form.html",
        {
            "unit": unit,
            "label": label,
            "checklist": Checklist(checklist),
            "check": check,
            "form": form,
            "nonce": form_nonce(request),
        },
    )


def _room_url(unit: Unit) -> str:
    return reverse("inspections:room-detail", kwargs={"unit_id": unit.pk})


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(RoomEvidence.objects.select_related("room_check__room__unit"), pk=min(pk, MAX_ID + 1))
    unit = _writable(request, evidence.room_check.room.unit_id)
    try:
        rooms.evidence_remove(actor=request.user, evidence=evidence, request=request)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The photo is removed."))
    return redirect(f"{_room_url(unit)}#{evidence.room_check.checklist}")


@login_required
def evidence_image(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """An evidence photo, to whoever may see the room."""
    if pk > MAX_ID:
        raise Http404
    evidence = get_object_or_404(RoomEvidence.objects.select_related("master", "room_check__room"), pk=pk)
    _unit(request, evidence.room_check.room.unit_id)
    return file_response(evidence.master, kind, download_name=f"evidence-{evidence.pk}")


@login_required
def staff_edit(request: HttpRequest, unit_id: int, pk: int | None = None) -> HttpResponse:
    unit = _writable(request, unit_id)
    staff = None
    if pk is not None:
        staff = get_object_or_404(RoomStaff, pk=min(pk, MAX_ID + 1), room__unit=unit)
    form = StaffForm(request.POST or None, instance=staff)
    if request.method == "POST" and staff is None and not spend_nonce(request):  # a second click
        messages.info(request, _("This was already recorded."))
        return redirect(f"{_room_url(unit)}#staff")
    if request.method == "POST" and form.is_valid():
        try:
            rooms.staff_save(actor=request.user, unit=unit, staff=staff, data=form.cleaned_data, request=request)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The staff record is saved."))
            return redirect(f"{_room_url(unit)}#staff")
    return render(
        request,
        "inspections/staff_form.html",
        {"unit": unit, "form": form, "staff": staff, "nonce": form_nonce(request)},
    )


@login_required
def training_add(request: HttpRequest, unit_id: int, staff_pk: int) -> HttpResponse:
    unit = _writable(request, unit_id)
    staff = get_object_or_404(RoomStaff, pk=min(staff_pk, MAX_ID + 1), room__unit=unit)
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and not spend_nonce(request):
        messages.info(request, _("This was already recorded."))
        return redirect(f"{_room_url(unit)}#staff")
    if request.method == "POST" and form.is_valid():
        try:
            rooms.training_add(actor=request.user, unit=unit, staff=staff, data=form.cleaned_data, request=request)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The training is recorded."))
            return redirect(f"{_room_url(unit)}#staff")
    return render(
        request,
        "inspections/training_form.html",
        {"unit": unit, "staff": staff, "form": form, "nonce": form_nonce(request)},
    )


@login_required
def climate_log(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The room's climate log: months with their excursions, the readings (only the excursions
    on request), a reading by hand and a logger file's import."""
    unit = _unit(request, unit_id)
    room = getattr(unit, "archive_room", None)
    may_change = rooms.may_change(request.user, unit)
    reading_form = ReadingForm(request.POST if request.POST.get("form") == "reading" else None)
    import_form = ClimateImportForm(
        request.POST if request.POST.get("form") == "import" else None,
        request.FILES if request.POST.get("form") == "import" else None,
    )
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        done = _climate_post(request, unit, reading_form, import_form)
        if done:
            return redirect("inspections:climate", unit_id=unit.pk)
    readings = ClimateReading.objects.filter(room=room) if room else ClimateReading.objects.none()
    only_excursions = request.GET.get("excursions") == "1"
    if only_excursions:
        readings = readings.filter(climate.excursion_rows())
    page = Paginator(readings.order_by("-taken_at"), 100).get_page(request.GET.get("page"))
    for reading in page:
        reading.flags = climate.flags(reading)
    months = _last_year(room)
    return render(
        request,
        "inspections/climate.html",
        {
            "unit": unit,
            "room": room,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "only_excursions": only_excursions,
            "months": months,
            "chart": _monthly_chart(months),
            "ranges": climate.ranges(),
            "may_change": may_change,
            "reading_form": reading_form,
            "import_form": import_form,
        },
    )


def _climate_post(request: HttpRequest, unit: Unit, reading_form: ReadingForm, import_form: ClimateImportForm) -> bool:
    if request.POST.get("form") == "reading" and reading_form.is_valid():
        data = reading_form.cleaned_data
        try:
            reading = climate.reading_add(actor=request.user, unit=unit, request=request, **data)
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(reading_form, exc)
            return False
        if climate.flags(reading):
            messages.warning(request, _("The reading is saved; it lies outside the ranges the room should keep."))
        else:
            messages.success(request, _("The reading is saved."))
        return True
    if request.POST.get("form") == "import" and import_form.is_valid():
        try:
            result = climate.readings_import(
                actor=request.user, unit=unit, upload=import_form.cleaned_data["file"], request=request
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(import_form, exc)
            return False
        (messages.warning if result.excursions else messages.success)(
            request,
            _(
                "%(added)s readings imported (%(excursions)s outside the ranges); %(skipped)s already in the log were skipped."
            )
            % {"added": result.added, "excursions": result.excursions, "skipped": result.skipped},
        )
        return True
    return False
