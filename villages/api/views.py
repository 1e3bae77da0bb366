from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from archives_site.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin

from .. import services
from ..filtersets import RoleAssignmentFilterSet, UnitFilterSet
from ..models import RoleAssignment, Unit
from .serializers import RoleAssignmentSerializer, UnitSerializer


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
