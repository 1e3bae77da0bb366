"""Volumes and items: lists with search, record pages, the filing form, renumbering."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from archives_site.audit import audit_record
from archives_site.filters import whole_number
from archives_site.forms import add_service_errors
from archives_site.scoping import Action, user_can
from archives_site.viewmixins import ScopedViewMixin
from villages.roles import HOLDINGS

from .. import ordering, pages, selectors, services
from ..forms import ItemForm, RenumberForm, VolumeForm
from ..models import Item, OpenStatus, Volume
from .common import filtered, require_holdings

PAGE_SIZE = 50


def _record_list(request: HttpRequest, model: type[Item] | type[Volume], template: str) -> HttpResponse:
    """Items or volumes in the order asked for (档号 inside a fonds or volume, else newest first),
    with filters, Chinese search (highlighted), counts that say what they are, and pages."""
    require_holdings(request.user)
    qs, form = filtered(request, model)
    q = (request.GET.get("q") or "").strip()
    allowed = ordering.orderings(model, user=request.user)
    current = allowed.get(request.GET.get("ordering") or "") or ordering.default_ordering(model, request.GET)
    position = ordering.Position(
        after=whole_number(request.GET.get("after")),
        before=whole_number(request.GET.get("before")),
        start=(request.GET.get("start") or "").strip()[:100] or None,
        number=whole_number(request.GET.get("page"), 1, ordering.OFFSET_ROWS // PAGE_SIZE + 1),
    )
    page = ordering.record_page(
        qs,
        user=request.user,
        q=q,
        ordering=current,
        position=position,
        page_size=PAGE_SIZE,
        # One fonds or volume is one place: read it whole, not unit by unit.
        partition=not (request.GET.get("fonds") or request.GET.get("volume")),
    )
    return render(
        request,
        template,
        {
            "form": form,
            "items": ordering.records(model, page, user=request.user),
            "page": page,
            "q": q,
            "ordering": page.ordering,
            "sortable": set(allowed) if page.sorted_as_asked or not q else set(),
            "default_ordering": ordering.default_ordering(model, request.GET).param,
            "sortable_matches": ordering.SORTABLE_MATCHES,
            "jump_label": _JUMP_LABELS.get(page.ordering.key.name) if page.ordering.key else None,
            "can_add": user_can(request.user, HOLDINGS, Action.ADD),
        },
    )


# The jump of each order: where "跳到 …" positions the list.
_JUMP_LABELS = {
    "reference_code": gettext_lazy("Go to reference code"),
    "year": gettext_lazy("Go to year"),
    "date": gettext_lazy("Go to date"),
    "start_date": gettext_lazy("Go to date"),
    "title": gettext_lazy("Go to title"),
}


@login_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    return _record_list(request, Item, "holdings/item_list.html")


@login_required
@require_GET
def volume_list(request: HttpRequest) -> HttpResponse:
    """Volumes (案卷目录) with the same filters and search as the items."""
    return _record_list(request, Volume, "holdings/volume_list.html")


class CatalogueRecordDetailView(ScopedViewMixin, DetailView):
    """An item or a volume; classified, controlled and deferred ones need the restricted
    holdings right and every view of them is audited."""

    def get_queryset(self) -> Any:
        return selectors.visible(self.model, user=self.request.user).select_related(
            "fonds", "category", "retention", "creating_unit", "custodian_unit"
        )

    def get_object(self, queryset: Any = None) -> Item | Volume:
        record = super().get_object(queryset)
        if record.is_restricted:
            if not selectors.can_view_restricted(user=self.request.user, record=record):
                raise PermissionDenied(
                    _("This record is classified or not open; viewing it needs a special authorisation.")
                )
            audit_record(action="record.view_restricted", obj=record, request=self.request)
        return next(selectors.withhold([record], user=self.request.user))  # marks a pushed record

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_edit"] = (
            not self.object.is_read_only
            and user_can(self.request.user, HOLDINGS, Action.CHANGE)
            and self.model.objects.restrict(self.request.user, Action.CHANGE).filter(pk=self.object.pk).exists()
        )
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> Any:
        response = super().render_to_response(context, **kwargs)
        if self.object.is_restricted:  # never kept by a browser or proxy cache
            patch_cache_control(response, no_store=True, private=True)
        return response


class ItemDetailView(CatalogueRecordDetailView):
    model = Item
    template_name = "holdings/item_detail.html"
    context_object_name = "item"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("volume")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        volume = self.object.volume
        # The volume is named on the page only if the user may see it, and as they may see it.
        if volume is not None and selectors.visible(Volume, user=self.request.user).filter(pk=volume.pk).exists():
            context["shown_volume"] = next(selectors.withhold([volume], user=self.request.user))
        context["pages"] = pages.item_pages(self.object)  # the object passed the restricted check above
        if self.object.catalogue_entry_id:
            context["catalogue_entry"] = self.object.catalogue_entry
        return context


# A volume's page lists its items (卷内文件) up to this many; the item list shows them all.
VOLUME_ITEMS_SHOWN = 200


class VolumeDetailView(CatalogueRecordDetailView):
    model = Volume
    template_name = "holdings/volume_detail.html"
    context_object_name = "volume"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        items = selectors.visible(Item, user=self.request.user).filter(volume=self.object)
        shown = items.select_related("fonds", "category", "retention").order_by("number", "id")[:VOLUME_ITEMS_SHOWN]
        context["volume_items"] = list(selectors.withhold(shown, user=self.request.user))
        context["volume_item_count"] = items.count()
        return context


def _save_record(
    request: HttpRequest, form: ItemForm | VolumeForm, record: Item | Volume | None, create: Any
) -> Item | Volume | None:
    """Create with ``create`` (a service) or update ``record``; the services' refusals become
    form errors a person can act on."""
    data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
    try:
        if record is None:
            return create(actor=request.user, request=request, **form.cleaned_data)
        return services.record_update(record=record, actor=request.user, request=request, **data)
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


# Per kind of record: its form, the service that files it, its pages.
_RECORD_KINDS: dict[type, dict[str, Any]] = {
    Item: {
        "form": ItemForm,
        "create": services.item_create,
        "detail": "holdings:item-detail",
        "list": "holdings:item-list",
    },
    Volume: {
        "form": VolumeForm,
        "create": services.volume_create,
        "detail": "holdings:volume-detail",
        "list": "holdings:volume-list",
    },
}


def _record_form(request: HttpRequest, model: type[Item] | type[Volume], pk: int | None) -> HttpResponse:
    """Create (``pk`` None) or edit an item or a volume; only its custodian unit may edit it."""
    kind = _RECORD_KINDS[model]
    record = None
    if pk is None:
        require_holdings(request.user, Action.ADD)
        initial: dict[str, Any] = {"year": timezone.localdate().year, "open_status": OpenStatus.UNREVIEWED}
        if request.GET.get("fonds"):
            initial["fonds"] = request.GET["fonds"]
        volume = _volume_to_fill(request) if model is Item else None
        if volume is not None:  # 卷内文件 take the volume's fonds and class
            initial.update(
                volume=volume.pk,
                fonds=volume.fonds_id,
                category=volume.category_id,
                year=volume.year,
                retention=volume.retention_id,
                org_code=volume.org_code,
            )
        form = kind["form"](request.POST or None, user=request.user, initial=initial)
    else:
        require_holdings(request.user, Action.CHANGE)
        record = get_object_or_404(selectors.visible(model, user=request.user), pk=pk)
        if not model.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists():
            raise PermissionDenied(_("Only the unit that keeps this record can edit it."))
        if record.is_read_only:
            messages.error(request, _("This record is withdrawn or destroyed: it is kept as it is."))
            return redirect(kind["detail"], pk=pk)
        form = kind["form"](request.POST or None, user=request.user, instance=record)
    if request.method == "POST" and form.is_valid():
        saved = _save_record(request, form, None if pk is None else model.objects.get(pk=pk), kind["create"])
        if saved is not None:
            if pk is None:
                messages.success(request, _("Filed as %(code)s.") % {"code": saved.reference_code})
            else:
                messages.success(request, _("Saved."))
            return redirect(kind["detail"], pk=saved.pk)
    cancel = reverse(kind["detail"], args=[pk]) if pk else reverse(kind["list"])
    return render(
        request,
        "holdings/record_form.html",
        {"form": form, "record": record, "is_volume": model is Volume, "cancel_url": cancel},
    )


def _volume_to_fill(request: HttpRequest) -> Volume | None:
    """The volume named by ``?volume=`` if the user may file into it."""
    try:
        pk = int(request.GET.get("volume") or 0)
    except ValueError:
        return None
    return Volume.objects.restrict(request.user, Action.ADD).filter(pk=pk).first() if pk else None


@login_required
def item_create(request: HttpRequest) -> HttpResponse:
    return _record_form(request, Item, None)


@login_required
def item_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_form(request, Item, pk)


@login_required
def volume_create(request: HttpRequest) -> HttpResponse:
    return _record_form(request, Volume, None)


@login_required
def volume_update(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_form(request, Volume, pk)


@login_required
def item_renumber(request: HttpRequest, pk: int) -> HttpResponse:
    """Renumber a filed item into another class (an explicit, audited action)."""
    require_holdings(request.user, Action.CHANGE)
    item = get_object_or_404(selectors.visible(Item, user=request.user), pk=pk)
    if not Item.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists():
        raise PermissionDenied(_("Only the unit that keeps this record can renumber it."))
    if item.is_read_only:
        messages.error(request, _("This record is withdrawn or destroyed: it cannot be renumbered."))
        return redirect("holdings:item-detail", pk=pk)
    form = RenumberForm(
        request.POST or None, initial={"year": item.year, "retention": item.retention_id, "org_code": item.org_code}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_renumber(
                item=item,
                actor=request.user,
                request=request,
                reason=data["reason"],
                year=data["year"],
                retention=data["retention"],
                org_code=data["org_code"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Renumbered as %(code)s.") % {"code": item.reference_code})
            return redirect("holdings:item-detail", pk=item.pk)
    return render(request, "holdings/item_renumber.html", {"form": form, "item": item})
