"""Filters of the unit and role-assignment lists. Related rows are filtered by plain id
(archives_site.filters), so the filter form lists no units or users and an unknown id and an
out-of-reach id both give no rows."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from archives_site.filters import IdFilter

from .models import RoleAssignment, Unit
from .roles import Role


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("name or code contains"))
    parent = IdFilter(field_name="parent_id", label=_("parent unit id"))
    within = IdFilter(method="filter_within", label=_("descendants of unit id"))

    class Meta:
        model = Unit
        fields = ["kind", "parent", "is_active", "custody_mode"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_within(self, queryset, name, value):
        # The unit itself may be out of reach: its path only narrows the (restricted) queryset.
        unit = Unit.objects.filter(pk=value).only("path").first()
        return queryset.descendants_of(unit) if unit else queryset.none()


class RoleAssignmentFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    unit = IdFilter(field_name="unit_id", label=_("unit id"))
    user = django_filters.CharFilter(field_name="user__username", label=_("username"))

    class Meta:
        model = RoleAssignment
        fields = ["role", "unit", "user"]
