from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from archives_site.api.errors import ERROR_RESPONSES, OneObjectSchema
from archives_site.api.fields import ScopedRelatedField, TextField
from archives_site.api.pagination import SearchPagination
from archives_site.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin
from archives_site.audit import audit_record
from archives_site.filters import MAX_ID
from archives_site.scoping import Action, user_can
from villages.roles import HOLDINGS, VILLAGE_CATALOGUE

from .. import completeness, pushes, selectors, services
from ..filtersets import FondsFilterSet, ItemFilterSet, VolumeFilterSet
from ..models import Category, Fonds, Item, RecordPush, RetentionPeriod, Volume
from .serializers import (
    CategorySerializer,
    FondsSerializer,
    ItemListSerializer,
    ItemSerializer,
    PushRevokeSerializer,
    RecordPushCreateSerializer,
    RecordPushSerializer,
    VolumeSerializer,
)


class ItemRenumberSerializer(serializers.ModelSerializer):
    """The input of ``POST /items/{id}/renumber/``: the reason, and the class fields to change
    (each optional; those left out keep their value). Related rows: only those the caller sees."""

    fonds = ScopedRelatedField(queryset=Fonds.objects.all(), required=False)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False
    )
    retention = serializers.SlugRelatedField(slug_field="code", queryset=RetentionPeriod.objects.all(), required=False)
    volume = ScopedRelatedField(queryset=Volume.objects.all(), allow_null=True, required=False)
    reason = TextField(max_length=1000, help_text="Why the item is renumbered; kept in the audit trail.")

    class Meta:
        model = Item
        fields = [*services.CLASS_FIELDS, "reason"]
        extra_kwargs = {"year": {"required": False}, "org_code": {"required": False}}
        validators: list = []  # the numbering service places the item and checks its class


class HoldingsReader(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can(request.user, HOLDINGS, Action.VIEW)


class CatalogueReader(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can(request.user, VILLAGE_CATALOGUE, Action.VIEW)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Archival categories (门类, DA/T 13-2022). Reference data: edited in the admin."""

    queryset = Category.objects.order_by("sort_order", "code")
    serializer_class = CategorySerializer
    permission_classes = [permissions.IsAuthenticated, HoldingsReader]
    pagination_class = None


class FondsViewSet(ScopedModelViewSet):
    """Fonds (全宗). Read by creating or custodian unit; written by the custodian."""

    queryset = Fonds.objects.select_related("creating_unit", "custodian_unit").order_by("code")
    serializer_class = FondsSerializer
    filterset_class = FondsFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # fonds are never deleted

    def save_new(self, serializer: Any) -> Fonds:
        return services.fonds_create(actor=self.request.user, request=self.request, **serializer.validated_data)

    def save_changes(self, serializer: Any) -> Fonds:
        return services.fonds_update(
            fonds=serializer.instance, actor=self.request.user, request=self.request, **serializer.validated_data
        )


class CatalogueRecordViewSet(ScopedModelViewSet):
    """Shared by volumes and items: keyset pages newest first, ``?q=`` search, audited access
    to classified, controlled and deferred records."""

    pagination_class = SearchPagination
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # filed records are never deleted

    list_serializer_class: Any = None

    def get_queryset(self) -> Any:
        qs = selectors.visible(self.queryset.model, user=self.request.user)
        return qs.select_related("fonds", "category", "retention").defer("search_text")

    def paginate_queryset(self, queryset: Any) -> Any:
        """A page of rows as the user may see them: restricted rows withheld, search limited to
        what is not withheld (the one rule, in holdings.selectors)."""
        q = self.request.query_params.get("q", "")
        page = super().paginate_queryset(selectors.searchable(queryset, user=self.request.user, q=q))
        return None if page is None else list(selectors.withhold(page, user=self.request.user))

    def get_serializer_class(self) -> Any:
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        return super().get_serializer_class()

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        if record.is_restricted:
            if not selectors.can_view_restricted(user=request.user, record=record):
                raise exceptions.PermissionDenied(
                    _("This record is classified or not open; viewing it needs a special authorisation.")
                )
            audit_record(action="record.view_restricted", obj=record, request=request)
        return Response(self.get_serializer(record).data)

    def save_changes(self, serializer: Any) -> Any:
        return services.record_update(
            record=serializer.instance, actor=self.request.user, request=self.request, **serializer.validated_data
        )


class VolumeViewSet(CatalogueRecordViewSet):
    """Volumes (案卷)."""

    queryset = Volume.objects.all()
    serializer_class = VolumeSerializer
    filterset_class = VolumeFilterSet

    def save_new(self, serializer: Any) -> Volume:
        return services.volume_create(actor=self.request.user, request=self.request, **serializer.validated_data)


class ItemViewSet(CatalogueRecordViewSet):
    """Items (件). ``?q=`` searches 题名, 责任者, 文号, 档号, 备注 and 原档号 (Chinese substrings;
    space-separated terms are ANDed); filters: fonds, category, year, retention, open_status, unit."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    list_serializer_class = ItemListSerializer
    filterset_class = ItemFilterSet

    def save_new(self, serializer: Any) -> Item:
        return services.item_create(actor=self.request.user, request=self.request, **serializer.validated_data)

    @extend_schema(
        request=ItemRenumberSerializer,
        responses={200: ItemSerializer, **ERROR_RESPONSES},
        summary="Renumber a filed item: move it to another class (audited, with a reason)",
    )
    @action(detail=True, methods=["post"])
    def renumber(self, request: Any, pk: Any = None) -> Response:
        """Move a filed item to another class (fonds, volume, year, retention, org, category); audited
        with a reason. Fields left out keep their value."""
        item = self.get_object()
        serializer = ItemRenumberSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason")
        item = services.item_renumber(item=item, actor=request.user, request=request, reason=reason, **fields)
        return Response(self.get_serializer(item).data)


class CompletenessQuerySerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="A county, township or village id within your reach."
    )
    year = serializers.IntegerField(
        min_value=1949, required=False, help_text="The filing year (年度); this year when left out."
    )

    def validate_year(self, value: int) -> int:
        if value > timezone.localdate().year:
            raise serializers.ValidationError(_("A year still to come has nothing filed yet."))
        return value


class MissingEntrySerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The catalogue entry's id.")
    code = serializers.CharField()
    title = serializers.CharField()


class VillageCompletenessSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    year = serializers.IntegerField()
    has_catalogue = serializers.BooleanField()
    owed = serializers.IntegerField(help_text="Required entries owed this year (per-event ones only when filed).")
    filed = serializers.IntegerField()
    percent = serializers.IntegerField(
        allow_null=True, help_text="Filed share, rounded down; null when nothing is owed."
    )
    missing = MissingEntrySerializer(many=True)


class CompletenessSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    year = serializers.IntegerField()
    owed = serializers.IntegerField()
    filed = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)
    villages = VillageCompletenessSerializer(many=True)


class CompletenessViewSet(viewsets.ViewSet):
    """Filing completeness (归档齐全) of a unit's villages for a year: per village the required
    entries owed, filed and missing (DESIGN §3; the rule is in ``holdings.completeness``). A unit
    outside your reach for village catalogues answers 404."""

    permission_classes = [permissions.IsAuthenticated, CatalogueReader]
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[CompletenessQuerySerializer],
        responses={200: CompletenessSerializer, **ERROR_RESPONSES},
    )
    def list(self, request: Any) -> Response:
        query = CompletenessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        unit = completeness.unit_in_reach(request.user, query.validated_data["unit"])
        if unit is None:
            raise exceptions.NotFound
        year = query.validated_data.get("year") or timezone.localdate().year
        figures = completeness.for_unit(unit, up_to_year=year)
        total = figures.total(year)
        return Response(
            {
                "unit": unit.pk,
                "unit_name": unit.name,
                "year": year,
                "owed": total.owed,
                "filed": total.filed,
                "percent": total.percent,
                "villages": completeness.as_data(figures, year),
            }
        )


class RecordPushViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open records the archive pushes down to a village or township (推送). The target finds the
    items in its own item list and search (``pushed`` true) until the push is revoked."""

    queryset = RecordPush.objects.select_related("source_unit", "target_unit")
    serializer_class = RecordPushSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-pushed_at", "-id")

    @extend_schema(request=RecordPushCreateSerializer, responses={201: RecordPushSerializer, **ERROR_RESPONSES})
    def create(self, request: Any) -> Response:
        """Push the open, filed items of a fonds (narrowed by category, years or ids) to a unit."""
        body = RecordPushCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        push = pushes.push_create(
            actor=request.user,
            fonds=data.pop("fonds"),
            target=data.pop("target_unit"),
            item_ids=data.pop("items", None),
            request=request,
            **data,
        )
        return Response(RecordPushSerializer(push).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PushRevokeSerializer, responses={200: RecordPushSerializer, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: Any = None) -> Response:
        """Revoke a push: its items disappear from the target's search; the push stays on record."""
        push = self.get_object()
        body = PushRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        push = pushes.push_revoke(actor=request.user, push=push, reason=body.validated_data["reason"], request=request)
        return Response(RecordPushSerializer(push).data)
