"""Fonds (全宗): the list, a fonds' page with its arrangement, and the form that registers or
edits one (the services check the units and keep a filed fonds' number)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from archives_site.forms import add_service_errors
from archives_site.scoping import Action, user_can
from archives_site.viewmixins import ScopedViewMixin
from villages.roles import HOLDINGS

from .. import selectors, services
from ..forms import FondsForm
from ..models import Fonds
from .common import require_holdings


class FondsListView(ScopedViewMixin, ListView):
    model = Fonds
    template_name = "holdings/fonds_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("creating_unit", "custodian_unit").order_by("code")
        q = (self.request.GET.get("q") or "").strip()
        return qs.filter(name__icontains=q) | qs.filter(code__icontains=q) if q else qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_add"] = user_can(self.request.user, HOLDINGS, Action.ADD)
        return context


class FondsDetailView(ScopedViewMixin, DetailView):
    model = Fonds
    template_name = "holdings/fonds_detail.html"
    context_object_name = "fonds"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tree"] = selectors.fonds_tree(user=self.request.user, fonds=self.object)
        context["total"] = sum(node["n"] for node in context["tree"])
        context["can_edit"] = (
            Fonds.objects.restrict(self.request.user, Action.CHANGE).filter(pk=self.object.pk).exists()
        )
        return context


def _fonds_form(request: HttpRequest, fonds: Fonds | None) -> HttpResponse:
    form = FondsForm(request.POST or None, user=request.user, instance=fonds)
    if request.method == "POST" and form.is_valid():
        try:
            if fonds is None:
                saved = services.fonds_create(actor=request.user, request=request, **form.service_fields())
            else:  # a fresh row: the form has already written its values onto its own instance
                saved = services.fonds_update(
                    fonds=Fonds.objects.get(pk=fonds.pk), actor=request.user, request=request, **form.service_fields()
                )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            if fonds is None:
                messages.success(request, _("Fonds %(code)s registered.") % {"code": saved.code})
            else:
                messages.success(request, _("Saved."))
            return redirect("holdings:fonds-detail", pk=saved.pk)
    shown = Fonds.objects.get(pk=fonds.pk) if fonds is not None else None
    return render(request, "holdings/fonds_form.html", {"form": form, "fonds": shown})


@login_required
def fonds_create(request: HttpRequest) -> HttpResponse:
    """Register a fonds whose custodian (and creating unit) the user keeps records for."""
    require_holdings(request.user, Action.ADD)
    return _fonds_form(request, None)


@login_required
def fonds_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a fonds: out of reach → 404; seen but kept by another unit → 403."""
    require_holdings(request.user, Action.CHANGE)
    fonds = get_object_or_404(Fonds.objects.restrict(request.user, Action.VIEW), pk=pk)
    if not Fonds.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists():
        raise PermissionDenied(_("Only the unit that keeps this fonds can edit it."))
    return _fonds_form(request, fonds)
