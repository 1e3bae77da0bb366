"""The unit network: browse it, add and edit units, and who holds which role where."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from archives_site.forms import add_service_errors
from archives_site.scoping import Action, user_can
from archives_site.viewmixins import ScopedViewMixin

from .. import selectors, services
from ..forms import GrantForm, UnitForm
from ..models import RoleAssignment, Unit, UnitKind
from ..roles import ROLE_ASSIGNMENT, UNIT, Role
from .common import positive_int


class UnitListView(ScopedViewMixin, ListView):
    model = Unit
    template_name = "villages/unit_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        return selectors.unit_list(
            user=self.request.user,
            kind=self.request.GET.get("kind") or None,
            q=(self.request.GET.get("q") or "").strip() or None,
        ).order_by("path")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page_units = list(context["object_list"])
        counts = selectors.unit_children_counts(user=self.request.user, units=page_units)
        for unit in page_units:
            unit.child_count = counts.get(unit.pk, 0)
        context["object_list"] = page_units
        context["kinds"] = UnitKind.choices
        context["current_kind"] = self.request.GET.get("kind", "")
        context["q"] = self.request.GET.get("q", "")
        context["can_add"] = user_can(self.request.user, UNIT, Action.ADD)
        return context


class UnitDetailView(ScopedViewMixin, DetailView):
    model = Unit
    template_name = "villages/unit_detail.html"
    context_object_name = "unit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit: Unit = self.object
        user = self.request.user
        visible = Unit.objects.restrict(user, Action.VIEW)
        context["ancestors"] = list(visible.filter(pk__in=unit.ancestor_ids).order_by("depth"))
        context["children"] = list(visible.filter(parent=unit).order_by("code"))
        assignments = list(RoleAssignment.objects.restrict(user, Action.VIEW).filter(unit=unit).select_related("user"))
        grantable = services.grantable_roles_on(actor=user, unit=unit)
        context["assignments"] = services.mark_revocable(actor=user, assignments=assignments)
        context["can_edit"] = Unit.objects.restrict(user, Action.CHANGE).filter(pk=unit.pk).exists()
        context["can_add_child"] = Unit.objects.restrict(user, Action.ADD).filter(pk=unit.pk).exists()
        if grantable and unit.is_active:
            context["grant_form"] = GrantForm(actor=user, unit=unit)
        return context


def _save_unit(request: HttpRequest, form: UnitForm, pk: int | None) -> Unit | None:
    """Create or update through the services; their refusals (a kind change or a move by
    someone below the county level, a kind that does not fit under the parent) go on the form."""
    try:
        if pk is None:
            return services.unit_create(actor=request.user, request=request, **form.service_fields())
        # A fresh row: the form has already written its values onto its own instance.
        return services.unit_update(
            unit=Unit.objects.get(pk=pk), actor=request.user, request=request, **form.service_fields()
        )
    except (ValidationError, PermissionDenied) as exc:
        add_service_errors(form, exc)
    return None


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    """A new unit under a parent (``?parent=``); the county administrator's (units: add)."""
    if not user_can(request.user, UNIT, Action.ADD):
        raise PermissionDenied
    parent = positive_int(request.GET.get("parent"))
    form = UnitForm(request.POST or None, actor=request.user, initial={"parent": parent})
    if request.method == "POST" and form.is_valid():
        unit = _save_unit(request, form, None)
        if unit is not None:
            messages.success(request, _("Unit %(name)s created.") % {"name": unit.name})
            return redirect("villages:unit-detail", pk=unit.pk)
    return render(request, "villages/unit_form.html", {"form": form, "unit": None})


@login_required
def unit_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a unit in the user's reach for changing units; seen but not editable → 403."""
    if not user_can(request.user, UNIT, Action.CHANGE):
        raise PermissionDenied
    unit = get_object_or_404(Unit.objects.restrict(request.user, Action.VIEW), pk=pk)
    if not Unit.objects.restrict(request.user, Action.CHANGE).filter(pk=pk).exists():
        raise PermissionDenied(_("You cannot change this unit."))
    form = UnitForm(request.POST or None, actor=request.user, instance=unit)
    if request.method == "POST" and form.is_valid():
        saved = _save_unit(request, form, pk)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("villages:unit-detail", pk=pk)
    return render(request, "villages/unit_form.html", {"form": form, "unit": Unit.objects.get(pk=pk)})


class RoleAssignmentListView(ScopedViewMixin, ListView):
    model = RoleAssignment
    template_name = "villages/role_list.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        qs = super().get_queryset().select_related("user", "unit", "granted_by").order_by("unit__path", "role")
        role = self.request.GET.get("role")
        return qs.filter(role=role) if role in Role.values else qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["roles"] = Role.choices
        context["current_role"] = self.request.GET.get("role", "")
        context["object_list"] = services.mark_revocable(actor=user, assignments=list(context["object_list"]))
        if user_can(user, ROLE_ASSIGNMENT, Action.ADD):
            context["grant_form"] = GrantForm(actor=user)
            context["can_manage_users"] = True
        context["here"] = reverse("villages:role-list")
        return context
