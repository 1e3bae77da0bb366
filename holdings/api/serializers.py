from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from archives_site.api.fields import ScopedRelatedField, TextField
from villages.models import CatalogueEntry, Unit

from ..models import Category, Fonds, Item, RecordPush, RetentionPeriod, Volume


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "arrangement", "sort_order", "is_active"]


class FondsSerializer(serializers.ModelSerializer):
    creating_unit = ScopedRelatedField(queryset=Unit.objects.all())
    custodian_unit = ScopedRelatedField(queryset=Unit.objects.all())
    creating_unit_name = serializers.CharField(source="creating_unit.name", read_only=True)
    custodian_unit_name = serializers.CharField(source="custodian_unit.name", read_only=True)

    class Meta:
        model = Fonds
        fields = [
            "id",
            "code",
            "name",
            "creating_unit",
            "creating_unit_name",
            "custodian_unit",
            "custodian_unit_name",
            "history",
            "start_year",
            "end_year",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class CatalogueRecordSerializer(serializers.ModelSerializer):
    fonds = ScopedRelatedField(queryset=Fonds.objects.all())
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.filter(is_active=True))
    retention = serializers.SlugRelatedField(slug_field="code", queryset=RetentionPeriod.objects.all())
    fonds_code = serializers.CharField(source="fonds.code", read_only=True)
    open_status_display = serializers.CharField(source="get_open_status_display", read_only=True)
    withheld = serializers.SerializerMethodField(
        help_text="True when the record is restricted and its descriptive fields are withheld from the caller."
    )
    confirm_date = serializers.BooleanField(
        write_only=True,
        required=False,
        help_text="Accept a date outside the record's year (年度); without it such a date is refused.",
    )

    COMMON = [
        "id",
        "reference_code",
        "fonds",
        "fonds_code",
        "category",
        "year",
        "retention",
        "org_code",
        "number",
        "title",
        "responsible",
        "classification",
        "classification_term",
        "page_count",
        "note",
        "open_status",
        "open_status_display",
        "disclosure",
        "carrier",
        "generation",
        "storeroom",
        "cabinet",
        "shelf",
        "layer",
        "box",
        "original_code",
        "status",
        "creating_unit",
        "custodian_unit",
        "created_at",
        "updated_at",
        "filed_at",
        "withheld",
        "confirm_date",
    ]
    READ_ONLY = [
        "reference_code",
        "number",
        "status",
        "creating_unit",
        "custodian_unit",
        "created_at",
        "updated_at",
        "filed_at",
    ]

    def get_withheld(self, record: Any) -> bool:
        return bool(getattr(record, "withheld", False))

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        retention = values.get("retention")
        if retention is not None and retention.is_legacy and self.instance is None:
            current = retention.maps_to.code if retention.maps_to else "Y"
            raise serializers.ValidationError(
                {
                    "retention": [
                        _("%(code)s is a legacy retention period; new records use %(current)s.")
                        % {"code": retention.code, "current": current}
                    ]
                }
            )
        return values


class VolumeSerializer(CatalogueRecordSerializer):
    class Meta:
        model = Volume
        fields = [*CatalogueRecordSerializer.COMMON, "start_date", "end_date"]
        read_only_fields = CatalogueRecordSerializer.READ_ONLY
        validators: list = []  # numbers are unique by construction (numbering service + DB constraints)


class ItemSerializer(CatalogueRecordSerializer):
    volume = ScopedRelatedField(queryset=Volume.objects.all(), allow_null=True, required=False)
    catalogue_entry = ScopedRelatedField(queryset=CatalogueEntry.objects.all(), allow_null=True, required=False)
    display_date = serializers.CharField(read_only=True)

    class Meta:
        model = Item
        fields = [
            *CatalogueRecordSerializer.COMMON,
            "volume",
            "doc_number",
            "date",
            "date_researched",
            "display_date",
            "catalogue_entry",
        ]
        read_only_fields = CatalogueRecordSerializer.READ_ONLY
        validators: list = []  # numbers are unique by construction (numbering service + DB constraints)


class ItemListSerializer(serializers.ModelSerializer):
    """The lighter row of item lists (the detail has every field). A restricted row the caller
    may not read in full has ``withheld`` true and its descriptive fields empty."""

    fonds_code = serializers.CharField(source="fonds.code", read_only=True)
    withheld = serializers.SerializerMethodField()
    pushed = serializers.SerializerMethodField(help_text="seen only because the archive pushed it to your unit")
    category = serializers.CharField(source="category.code", read_only=True)
    retention = serializers.CharField(source="retention.code", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "reference_code",
            "fonds",
            "fonds_code",
            "category",
            "year",
            "retention",
            "number",
            "title",
            "responsible",
            "doc_number",
            "date",
            "date_researched",
            "page_count",
            "classification",
            "open_status",
            "status",
            "withheld",
            "pushed",
        ]
        read_only_fields = fields

    def get_withheld(self, record: Item) -> bool:
        return bool(getattr(record, "withheld", False))

    def get_pushed(self, record: Item) -> bool:
        return bool(getattr(record, "pushed", False))


class RecordPushSerializer(serializers.ModelSerializer):
    source_unit_name = serializers.CharField(source="source_unit.name", read_only=True)
    target_unit_name = serializers.CharField(source="target_unit.name", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = RecordPush
        fields = [
            "id",
            "source_unit",
            "source_unit_name",
            "target_unit",
            "target_unit_name",
            "title",
            "note",
            "item_count",
            "pushed_at",
            "active",
            "revoked_at",
            "revoke_reason",
        ]
        read_only_fields = fields


class RecordPushCreateSerializer(serializers.Serializer):
    """What to push (open, filed items of one fonds, narrowed by category, years or ids) and to whom."""

    target_unit = ScopedRelatedField(queryset=Unit.objects.all())
    fonds = ScopedRelatedField(queryset=Fonds.objects.all())
    title = TextField(max_length=200)
    note = TextField(max_length=500, required=False, allow_blank=True, default="")
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    year_from = serializers.IntegerField(min_value=1900, max_value=2100, required=False, allow_null=True)
    year_to = serializers.IntegerField(min_value=1900, max_value=2100, required=False, allow_null=True)
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        allow_null=True,
        max_length=20_000,
        help_text="only these items of the fonds (ids)",
    )


class PushRevokeSerializer(serializers.Serializer):
    reason = TextField(max_length=200)
