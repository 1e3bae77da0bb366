from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from archives_site.api.errors import ERROR_RESPONSES
from archives_site.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin
from archives_site.filters import whole_number
from archives_site.scoping import Action

from .. import catalogues, services
from ..filtersets import RoleAssignmentFilterSet, UnitFilterSet
from ..models import (
    VILLAGE_KINDS,
    CatalogueEntry,
    CatalogueTemplate,
    RoleAssignment,
    TemplateEntry,
    Unit,
    UnitKind,
    VillageCatalogue,
)
from .serializers import (
    AdoptSerializer,
    ApplicabilitySerializer,
    CatalogueDeriveSerializer,
    CatalogueEntrySerializer,
    CatalogueTemplateSerializer,
    DifferenceSerializer,
    EntryWriteSerializer,
    LocalEntryWriteSerializer,
    RoleAssignmentSerializer,
    TemplateEntrySerializer,
    TemplateStartSerializer,
    TemplateUpdateSerializer,
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
    """Versions of the county's reference template (基本目录参考模板) with their entries. Drafts
    are seen by those who may change them (the county) only; a published version is frozen.
    The county opens a draft (``POST``), edits it and its entries, then publishes it."""

    queryset = CatalogueTemplate.objects.all()
    serializer_class = CatalogueTemplateSerializer

    def get_queryset(self) -> Any:
        entries = Prefetch("entries", queryset=TemplateEntry.objects.order_by(*catalogues.TREE_ORDER))
        return catalogues.visible_templates(self.request.user).prefetch_related(entries).order_by("unit_id", "-version")

    def _template(self, pk: Any) -> CatalogueTemplate:
        # Found by read reach (404 outside it); the service checks the write reach (403).
        return get_object_or_404(self.get_queryset(), pk=whole_number(str(pk)))

    def _answer(self, template: CatalogueTemplate, status: int = 200) -> Response:
        return Response(self.get_serializer(self._template(template.pk)).data, status=status)

    @extend_schema(
        request=TemplateStartSerializer,
        responses={200: CatalogueTemplateSerializer, 201: CatalogueTemplateSerializer, **ERROR_RESPONSES},
    )
    def create(self, request: Any) -> Response:
        """Open the county's draft: the one being edited, a new version copied from the newest
        published one, or the default shipped with the system for a county without a template."""
        body = TemplateStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        county = get_object_or_404(
            Unit.objects.restrict(request.user, Action.VIEW), pk=body.validated_data["county"], kind=UnitKind.COUNTY
        )
        draft, made = catalogues.template_open_draft(actor=request.user, county=county, request=request)
        return self._answer(draft, 201 if made else 200)

    @extend_schema(request=TemplateUpdateSerializer, responses={200: CatalogueTemplateSerializer, **ERROR_RESPONSES})
    def partial_update(self, request: Any, pk: Any = None) -> Response:
        """Change a draft's title or note."""
        template = self._template(pk)
        body = TemplateUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        catalogues.template_update(actor=request.user, template=template, request=request, **body.validated_data)
        return self._answer(template)

    @extend_schema(request=None, responses={200: CatalogueTemplateSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request: Any, pk: Any = None) -> Response:
        """Publish a draft (a second call changes nothing): villages then see its differences."""
        template = catalogues.template_publish(actor=request.user, template=self._template(pk), request=request)
        return self._answer(template)

    @extend_schema(responses={200: DifferenceSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["get"], pagination_class=None)
    def differences(self, request: Any, pk: Any = None) -> Response:
        """What this version changes against the county's newest published version before it."""
        return Response(DifferenceSerializer(catalogues.template_differences(self._template(pk)), many=True).data)

    @extend_schema(request=EntryWriteSerializer, responses={201: TemplateEntrySerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="entries", permission_classes=[permissions.IsAuthenticated])
    def add_entry(self, request: Any, pk: Any = None) -> Response:
        """Add an entry to a draft under ``parent`` (a heading), or a heading (no parent)."""
        template = self._template(pk)
        body = EntryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        parent = self._entry(template, fields.pop("parent", None))
        entry = catalogues.template_entry_save(
            actor=request.user, template=template, parent=parent, request=request, **fields
        )
        return Response(TemplateEntrySerializer(entry).data, status=201)

    @extend_schema(
        parameters=[OpenApiParameter("entry_id", int, OpenApiParameter.PATH)],
        request=EntryWriteSerializer,
        responses={200: TemplateEntrySerializer, 204: None, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"entries/(?P<entry_id>[0-9]+)",
        permission_classes=[permissions.IsAuthenticated],
    )
    def entry(self, request: Any, pk: Any = None, entry_id: Any = None) -> Response:
        """Change an entry of a draft (``parent``: move it under that heading), or remove it
        (a heading with its entries)."""
        template = self._template(pk)
        entry = self._entry(template, entry_id)
        if entry is None:
            raise Http404
        if request.method == "DELETE":
            catalogues.template_entry_delete(actor=request.user, entry=entry, request=request)
            return Response(status=204)
        body = EntryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if "parent" in fields and fields["parent"] is None and entry.parent_id is not None:
            raise ValidationError({"parent": _("An entry stays under a heading: name the heading to move it to.")})
        parent = self._entry(template, fields.pop("parent", None))
        saved = catalogues.template_entry_save(
            actor=request.user, template=template, entry=entry, parent=parent, request=request, **fields
        )
        return Response(TemplateEntrySerializer(saved).data)

    @staticmethod
    def _entry(template: CatalogueTemplate, pk: Any) -> TemplateEntry | None:
        if pk is None:
            return None
        return get_object_or_404(template.entries.select_related("parent"), pk=whole_number(str(pk)) or 0)


class VillageCatalogueViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Villages' filing catalogues (归档清单): making one from the county's newest version, what
    a newer version would change and adopting it entry by entry, marking an entry not applicable,
    and the village's own entries (一村一品)."""

    queryset = VillageCatalogue.objects.select_related("unit", "template")
    serializer_class = VillageCatalogueSerializer

    def get_queryset(self) -> Any:
        entries = Prefetch("entries", queryset=CatalogueEntry.objects.order_by(*catalogues.TREE_ORDER))
        return super().get_queryset().prefetch_related(entries).order_by("unit__path")

    def _catalogue(self, pk: Any) -> VillageCatalogue:
        # Found by read reach (404 outside it); the service checks the write reach (403).
        return get_object_or_404(self.get_queryset(), pk=whole_number(str(pk)))

    @extend_schema(request=CatalogueDeriveSerializer, responses={201: VillageCatalogueSerializer, **ERROR_RESPONSES})
    def create(self, request: Any) -> Response:
        """Make a village's catalogue from the county's newest published version (a village that
        has one gets it back)."""
        body = CatalogueDeriveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = get_object_or_404(
            Unit.objects.restrict(request.user, Action.VIEW), pk=body.validated_data["unit"], kind__in=VILLAGE_KINDS
        )
        catalogue = catalogues.catalogue_derive(actor=request.user, unit=unit, request=request)
        return Response(self.get_serializer(self._catalogue(catalogue.pk)).data, status=201)

    @extend_schema(responses={200: DifferenceSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["get"], pagination_class=None)
    def differences(self, request: Any, pk: Any = None) -> Response:
        """The added, changed and removed entries of the county's newest published version."""
        return Response(DifferenceSerializer(catalogues.catalogue_differences(self._catalogue(pk)), many=True).data)

    @extend_schema(request=AdoptSerializer, responses={200: DifferenceSerializer(many=True), **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated], pagination_class=None)
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

    @extend_schema(request=LocalEntryWriteSerializer, responses={201: CatalogueEntrySerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="local-entries", permission_classes=[permissions.IsAuthenticated])
    def add_local_entry(self, request: Any, pk: Any = None) -> Response:
        """Add one of the village's own entries (一村一品), under ``parent`` (a heading) or at the top."""
        return self._save_local(request, self._catalogue(pk), None, 201)

    @extend_schema(
        parameters=[OpenApiParameter("entry_id", int, OpenApiParameter.PATH)],
        request=LocalEntryWriteSerializer,
        responses={200: CatalogueEntrySerializer, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"local-entries/(?P<entry_id>[0-9]+)",
        permission_classes=[permissions.IsAuthenticated],
    )
    def local_entry(self, request: Any, pk: Any = None, entry_id: Any = None) -> Response:
        """Change one of the village's own entries (the county's change through a new version)."""
        catalogue = self._catalogue(pk)
        entry = get_object_or_404(
            catalogue.entries.filter(retired_at__isnull=True, template_entry__isnull=True),
            pk=whole_number(str(entry_id)) or 0,
        )
        return self._save_local(request, catalogue, entry, 200)

    def _save_local(self, request: Any, catalogue: VillageCatalogue, entry: CatalogueEntry | None, status: int):
        body = LocalEntryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        if "parent" in fields and fields["parent"] is not None:
            fields["parent"] = get_object_or_404(catalogue.entries.all(), pk=whole_number(str(fields["parent"])) or 0)
        elif "parent" not in fields and entry is not None:
            fields["parent"] = catalogues.KEEP  # a change that names no heading leaves it where it is
        saved = catalogues.catalogue_entry_save_local(
            actor=request.user, catalogue=catalogue, entry=entry, request=request, **fields
        )
        return Response(CatalogueEntrySerializer(saved).data, status=status)
