"""Filing against a village's catalogue (归档清单), from a phone: the catalogue page with what was
filed under each entry this year, the one-item filing form with photos, and the page images."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from archives_site.audit import audit_record
from archives_site.filters import MAX_ID, whole_number
from archives_site.forms import add_service_errors, form_nonce, spend_nonce
from archives_site.scoping import Action, user_can
from villages.catalogues import TREE_ORDER, county_of, latest_published
from villages.models import VILLAGE_KINDS, CatalogueEntry, VillageCatalogue
from villages.roles import HOLDINGS, VILLAGE_CATALOGUE
from villages.selectors import units_in_reach

from .. import pages, selectors, services
from ..forms import EntryFilingForm
from ..models import Category, Item, PageImage, RecordStatus, RetentionPeriod

# Items that count as filed under an entry (drafts are not filed; withdrawn numbers are gone).
COUNTED_STATUSES = (RecordStatus.FILED,)


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    """A village's catalogue with, per entry, the items filed under it in the chosen year and a
    button to file one more. A user with one catalogue in reach sees it; others choose."""
    if not user_can(request.user, VILLAGE_CATALOGUE, Action.VIEW):
        raise PermissionDenied
    catalogues = VillageCatalogue.objects.restrict(request.user, Action.VIEW).select_related("unit", "template")
    chosen = whole_number(request.GET.get("unit"))
    catalogue = None
    if chosen is not None:
        catalogue = catalogues.filter(unit_id=chosen).first()
        if catalogue is None:
            raise Http404
    elif catalogues[:2].count() == 1:
        catalogue = catalogues.first()
    year = whole_number(request.GET.get("year"), 1900, 2100) or timezone.localdate().year
    context: dict[str, Any] = {"catalogue": catalogue, "year": year, "catalogues": None}
    if catalogue is None:
        context["catalogues"] = catalogues.order_by("unit__path")[:500]
        context["without_catalogue"] = (
            units_in_reach(user=request.user, resource=VILLAGE_CATALOGUE, action=Action.ADD)
            .filter(kind__in=VILLAGE_KINDS, catalogue__isnull=True)
            .order_by("path")[:500]
        )
        return render(request, "holdings/catalogue.html", context)
    county = county_of(catalogue.unit)
    newest = latest_published(county) if county else None
    context["newer_version"] = newest if newest is not None and newest.version > catalogue.template.version else None
    entries = list(catalogue.entries.filter(retired_at__isnull=True).order_by(*TREE_ORDER))
    counts = dict(
        selectors.visible(Item, user=request.user)
        .filter(catalogue_entry__catalogue=catalogue, year=year, status__in=COUNTED_STATUSES)
        .values_list("catalogue_entry")
        .annotate(n=Count("id"))
    )
    names = {
        "category": dict(Category.objects.values_list("code", "name")),
        "retention": dict(RetentionPeriod.objects.values_list("code", "name")),
    }
    for entry in entries:
        entry.filed = counts.get(entry.pk, 0)
        entry.category_name = names["category"].get(entry.category_code, entry.category_code)
        entry.retention_name = names["retention"].get(entry.retention_code, entry.retention_code)
    context.update(
        entries=entries,
        can_file=user_can(request.user, HOLDINGS, Action.ADD),
        years=list(range(timezone.localdate().year, timezone.localdate().year - 10, -1)),
    )
    return render(request, "holdings/catalogue.html", context)


def _entry_for_filing(request: HttpRequest, pk: int) -> CatalogueEntry:
    """An entry of a catalogue the user may read, live, applicable and no heading; else 404."""
    entry = get_object_or_404(
        CatalogueEntry.objects.restrict(request.user, Action.VIEW).select_related("catalogue", "unit"),
        pk=pk,
        retired_at__isnull=True,
    )
    if entry.is_heading or not entry.applicable:
        raise Http404
    return entry


@login_required
def file_under_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """File one item under a catalogue entry, with its pages, in one transaction."""
    if not user_can(request.user, HOLDINGS, Action.ADD):
        raise PermissionDenied
    entry = _entry_for_filing(request, pk)
    initial = {"year": whole_number(request.GET.get("year"), 1900, 2100) or timezone.localdate().year}
    form = EntryFilingForm(request.POST or None, request.FILES or None, user=request.user, entry=entry, initial=initial)
    if not form.fields["fonds"].queryset.exists():
        messages.error(
            request,
            _("%(unit)s has no fonds you may file into yet: ask the township archivist to register it.")
            % {"unit": entry.unit.name},
        )
    if request.method == "POST" and not spend_nonce(request):  # a second click, a reload
        messages.warning(request, _("This form was already sent: the catalogue shows whether the item was filed."))
        return redirect(f"{reverse('holdings:catalogue')}?unit={entry.unit_id}")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                item = services.item_create(
                    actor=request.user,
                    request=request,
                    fonds=data["fonds"],
                    category=Category.objects.get(code=entry.category_code),
                    retention=RetentionPeriod.objects.get(code=entry.retention_code),
                    year=data["year"],
                    title=data["title"],
                    date=data["date"],
                    date_researched=data.get("date_researched", False),
                    responsible=data["responsible"],
                    doc_number=data["doc_number"],
                    note=data["note"],
                    catalogue_entry=entry,
                )
                pages.pages_add(actor=request.user, item=item, files=data["pages"], request=request)
        except (Category.DoesNotExist, RetentionPeriod.DoesNotExist):
            form.add_error(None, _("The entry names a category or retention period that no longer exists."))
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Filed as %(code)s with %(n)s page(s).") % {"code": item.reference_code, "n": len(data["pages"])},
            )
            return redirect("holdings:item-detail", pk=item.pk)
    return render(
        request, "holdings/file_under_entry.html", {"form": form, "entry": entry, "nonce": form_nonce(request)}
    )


@login_required
def page_image(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A page's thumbnail, reference image or master — exactly when its item may be read in
    full (a restricted item needs the restricted right; its masters' downloads are audited)."""
    if kind not in pages.MASTER_FILES or pk > MAX_ID:
        raise Http404
    page = get_object_or_404(PageImage.objects.select_related("master"), pk=pk)
    item = selectors.visible(Item, user=request.user).filter(pk=page.item_id).first()
    if item is None or (item.is_restricted and not selectors.can_view_restricted(user=request.user, record=item)):
        raise Http404
    response = pages.file_response(
        page.master,
        kind,
        download_name=f"{item.reference_code or item.pk}-{page.number:04d}",
        fallback=not item.is_restricted,
        no_store=item.is_restricted,
    )
    if kind == "master" and item.is_restricted:
        audit_record(action="record.view_restricted", obj=item, request=request, data={"page": page.number})
    return response
