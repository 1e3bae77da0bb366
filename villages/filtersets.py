import django_filters

from .models import RoleAssignment, Unit
from .roles import Role


class UnitFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="name or code contains")
    within = django_filters.NumberFilter(method="filter_within", label="descendants of unit id")

    class Meta:
        model = Unit
        fields = ["kind", "parent", "is_active", "custody_mode"]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))

    def filter_within(self, queryset, name, value):
        unit = Unit.objects.filter(pk=value).only("path").first()
        return queryset.descendants_of(unit) if unit else queryset.none()


class RoleAssignmentFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    user = django_filters.CharFilter(field_name="user__username")

    class Meta:
        model = RoleAssignment
        fields = ["role", "unit", "user"]
