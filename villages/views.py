"""Browsing the unit network and who holds which role."""

from typing import Any

from django.views.generic import DetailView, ListView

from archives_site.scoping import Action
from archives_site.viewmixins import ScopedViewMixin

from . import selectors
from .models import RoleAssignment, Unit, UnitKind
from .roles import Role


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
        context["assignments"] = list(
            RoleAssignment.objects.restrict(user, Action.VIEW).filter(unit=unit).select_related("user")
        )
        return context


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
        context["roles"] = Role.choices
        context["current_role"] = self.request.GET.get("role", "")
        return context
