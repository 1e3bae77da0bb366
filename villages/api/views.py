from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from archives_site.api.errors import ERROR_RESPONSES
from archives_site.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin
from archives_site.filters import whole_number

from .. import catalogues, services
from ..filtersets import RoleAssignmentFilterSet, UnitFilterSet
from ..models import CatalogueTemplate, RoleAssignment, Unit, VillageCatalogue
from .serializers import (
    AdoptSerializer,
    ApplicabilitySerializer,
    CatalogueEntrySerializer,
    CatalogueTemplateSerializer,
    DifferenceSerializer,
    RoleAssignmentSerializer,
    UnitSerializer,
    VillageCatalogueSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Units the caller can see (the network: county, townships, villages, departments)"),
)
class UnitViewSet(ScopedModelViewSet):
    """Units of the county network. Everyone sees the units they reach and the names of the
    units above them; the county administrator adds units, township officers edit their own."""

    queryset = Unit.objects.select_related("parent").order_by("path")
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # units are deactivated, not deleted

    def save_new(self, serializer: Any) -> Unit:
        return services.unit_create(actor=self.request.user, request=self.request, **serializer.validated_data)

    def save_changes(self, serializer: Any) -> Unit:
        return services.unit_update(
            unit=serializer.instance, actor=self.request.user, request=self.request, **serializer.validated_data
        )


class RoleAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who holds which role on which unit. Grants and revocations are audited."""

    queryset = RoleAssignment.objects.select_related("user", "unit", "granted_by").order_by("unit__path", "role", "id")
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilterSet

    def save_new(self, serializer: Any) -> RoleAssignment:
        return services.role_assignment_create(
            actor=self.request.user, request=self.request, **serializer.validated_data
        )

    def remove(self, instance: RoleAssignment) -> None:
        services.role_assignment_delete(actor=self.request.user, assignment=instance, request=self.request)


class CatalogueTemplateViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Versions of the county's reference template with their entries (edited on the county's
    pages; published versions are frozen)."""

    queryset = CatalogueTemplate.objects.prefetch_related("entries")
    serializer_class = CatalogueTemplateSerializer

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("unit_id", "-version")


class VillageCatalogueViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Villages' filing catalogues (归档清单), what a newer template version would change, and
    adopting those changes or marking an entry not applicable (the village's or township's)."""

    queryset = VillageCatalogue.objects.select_related("unit", "template").prefetch_related("entries")
    serializer_class = VillageCatalogueSerializer

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("unit__path")

    def _catalogue(self, pk: Any) -> VillageCatalogue:
        # Found by read reach (404 outside it); the service checks the write reach (403).
        return get_object_or_404(self.get_queryset(), pk=whole_number(str(pk)))

    @extend_schema(responses={200: DifferenceSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["get"])
    def differences(self, request: Any, pk: Any = None) -> Response:
        """The added, changed and removed entries of the county's newest published version."""
        return Response(DifferenceSerializer(catalogues.catalogue_differences(self._catalogue(pk)), many=True).data)

    @extend_schema(request=AdoptSerializer, responses={200: DifferenceSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def adopt(self, request: Any, pk: Any = None) -> Response:
        """Adopt the chosen differences (by entry key); keys that no longer differ are skipped."""
        catalogue = self._catalogue(pk)
        body = AdoptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        adopted = catalogues.catalogue_adopt(
            actor=request.user, catalogue=catalogue, keys=body.validated_data["keys"], request=request
        )
        return Response(DifferenceSerializer(adopted, many=True).data)

    @extend_schema(request=ApplicabilitySerializer, responses={200: CatalogueEntrySerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def applicability(self, request: Any, pk: Any = None) -> Response:
        """Mark an entry of the catalogue not applicable (with the reason) or applicable again."""
        catalogue = self._catalogue(pk)
        body = ApplicabilitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = get_object_or_404(catalogue.entries.all(), pk=body.validated_data["entry"])
        entry = catalogues.catalogue_entry_set_applicable(
            actor=request.user,
            entry=entry,
            applicable=body.validated_data["applicable"],
            reason=body.validated_data["reason"],
            request=request,
        )
        return Response(CatalogueEntrySerializer(entry).data)
