from typing import Any

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from archives_site.api.errors import ERROR_RESPONSES
from archives_site.api.parsers import MultiPartParser
from archives_site.api.viewsets import ScopedViewSetMixin
from archives_site.filters import IdFilter, MomentFilter

from .. import climate, rooms
from ..models import ArchiveRoom, ClimateReading
from .serializers import (
    ArchiveRoomSerializer,
    ClimateImportResultSerializer,
    ClimateImportSerializer,
    ClimateReadingSerializer,
    MonthSerializer,
)


class ArchiveRoomFilterSet(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label="unit")

    class Meta:
        model = ArchiveRoom
        fields = ["unit"]


class ArchiveRoomViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Archive rooms (档案室) of the units in reach: facilities, the 八防 and 七有 checklists and
    the staff with their trainings. Checklist evidence is recorded on the room's page."""

    queryset = ArchiveRoom.objects.select_related("unit").prefetch_related("checks__evidence", "staff__trainings")
    serializer_class = ArchiveRoomSerializer
    filterset_class = ArchiveRoomFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("unit__path")

    def save_new(self, serializer: Any) -> ArchiveRoom:
        data = dict(serializer.validated_data)
        unit = data.pop("unit")
        if ArchiveRoom.objects.filter(unit=unit).exists():
            raise serializers.ValidationError({"unit": [_("This unit's room is recorded already: change it instead.")]})
        return self._save(unit, data)

    def save_changes(self, serializer: Any) -> ArchiveRoom:
        data = dict(serializer.validated_data)
        data.pop("unit", None)
        return self._save(serializer.instance.unit, data)

    def _save(self, unit: Any, data: dict[str, Any]) -> ArchiveRoom:
        return rooms.room_update(actor=self.request.user, unit=unit, data=data, request=self.request)

    @extend_schema(responses={200: MonthSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def climate(self, request: Any, pk: Any = None) -> Response:
        """Readings and excursions per month (all months with readings, oldest first)."""
        room = self.get_object()
        months = climate.monthly(ClimateReading.objects.filter(room=room))
        return Response(MonthSerializer(months, many=True).data)


class ClimateReadingFilterSet(django_filters.FilterSet):
    unit = IdFilter(field_name="unit_id", label="unit")
    taken_after = MomentFilter(field_name="taken_at", lookup_expr="gte")
    taken_before = MomentFilter(field_name="taken_at", lookup_expr="lt")
    excursions = django_filters.BooleanFilter(method="filter_excursions", label="only readings outside the ranges")

    class Meta:
        model = ClimateReading
        fields = ["unit", "taken_after", "taken_before", "excursions"]

    def filter_excursions(self, queryset: Any, name: str, value: bool) -> Any:
        return queryset.filter(climate.excursion_rows()) if value else queryset.exclude(climate.excursion_rows())


class ClimateReadingViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Temperature and humidity readings of the rooms in reach, each flagged when outside the
    ranges of the settings. Readings are added one by one or imported from a logger's CSV."""

    queryset = ClimateReading.objects.all()
    serializer_class = ClimateReadingSerializer
    filterset_class = ClimateReadingFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-taken_at", "-id")

    def get_parsers(self) -> list[Any]:
        if getattr(self, "action", None) == "import_file":
            return [MultiPartParser(), FormParser(), JSONParser()]
        return super().get_parsers()

    def save_new(self, serializer: Any) -> ClimateReading:
        data = serializer.validated_data
        return climate.reading_add(
            actor=self.request.user,
            unit=data["unit"],
            taken_at=data["taken_at"],
            temperature=data["temperature"],
            humidity=data["humidity"],
            request=self.request,
        )

    @extend_schema(
        request={"multipart/form-data": ClimateImportSerializer},
        responses={201: ClimateImportResultSerializer, **ERROR_RESPONSES},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request: Any) -> Response:
        """Import a logger's CSV file into a unit's room log, all or none; readings already in
        the log are skipped."""
        upload = ClimateImportSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        result = climate.readings_import(
            actor=request.user,
            unit=upload.validated_data["unit"],
            upload=upload.validated_data["file"],
            request=request,
        )
        return Response(ClimateImportResultSerializer(result).data, status=status.HTTP_201_CREATED)
