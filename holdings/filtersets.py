"""Filters of the holdings lists (API and staff UI share them). ``q`` is the search, handled by
the search pagination, not here."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from archives_site.filters import IdFilter, YearFilter
from archives_site.scoping import Action

from . import selectors
from .models import Fonds, Item, OpenStatus, RecordPush, RecordStatus, Volume


class CatalogueRecordFilterSet(django_filters.FilterSet):
    # Related rows by plain id (archives_site.filters): an unknown or out-of-reach id → no rows.
    fonds = IdFilter(field_name="fonds_id", label=_("fonds"))
    category = IdFilter(method="filter_category", label=_("category (with sub-categories)"))
    year = YearFilter(field_name="year", label=_("year"))
    retention = django_filters.CharFilter(field_name="retention__code", label=_("retention code"))
    open_status = django_filters.ChoiceFilter(choices=OpenStatus.choices, label=_("open status"))
    status = django_filters.ChoiceFilter(choices=RecordStatus.choices, label=_("status"))
    unit = IdFilter(method="filter_unit", label=_("unit (created or held, with sub-units)"))

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=selectors.category_subtree_ids(value))

    def filter_unit(self, queryset, name, value):
        ids = selectors.unit_subtree_ids(value)
        return queryset.filter(Q(custodian_unit_id__in=ids) | Q(creating_unit_id__in=ids))


class ItemFilterSet(CatalogueRecordFilterSet):
    volume = IdFilter(field_name="volume_id", label=_("volume"))
    catalogue_entry = IdFilter(field_name="catalogue_entry_id", label=_("catalogue entry"))
    push = IdFilter(method="filter_push", label=_("push (the items it still shares)"))

    def filter_push(self, queryset, name, value):
        # Only a push the user may see: who received which records is not everyone's business.
        pushes = RecordPush.objects.restrict(getattr(self.request, "user", None), Action.VIEW).filter(pk=value)
        return queryset.filter(pushes__push__in=pushes, pushes__active=True)

    class Meta:
        model = Item
        fields = [
            "fonds",
            "category",
            "year",
            "retention",
            "open_status",
            "status",
            "unit",
            "volume",
            "catalogue_entry",
            "push",
        ]


class VolumeFilterSet(CatalogueRecordFilterSet):
    class Meta:
        model = Volume
        fields = ["fonds", "category", "year", "retention", "open_status", "status", "unit"]


class FondsFilterSet(django_filters.FilterSet):
    unit = IdFilter(method="filter_unit", label=_("unit (created or held, with sub-units)"))
    q = django_filters.CharFilter(method="filter_q", label=_("number or name contains"))

    class Meta:
        model = Fonds
        fields = ["unit", "q"]

    def filter_unit(self, queryset, name, value):
        ids = selectors.unit_subtree_ids(value)
        return queryset.filter(Q(custodian_unit_id__in=ids) | Q(creating_unit_id__in=ids))

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))
