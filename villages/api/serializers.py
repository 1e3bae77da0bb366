from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from archives_site.api.fields import ScopedRelatedField

from .. import services
from ..models import (
    CatalogueEntry,
    CatalogueTemplate,
    Frequency,
    RoleAssignment,
    TemplateEntry,
    Unit,
    VillageCatalogue,
)


class UnitSerializer(serializers.ModelSerializer):
    parent = ScopedRelatedField(queryset=Unit.objects.all(), allow_null=True, required=False)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "parent",
            "path",
            "depth",
            "custody_mode",
            "address",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["path", "depth", "created_at", "updated_at"]


@extend_schema_field(OpenApiTypes.STR)
class GranteeField(serializers.Field):
    """The username of the account a role goes to. An unknown name and an account outside the
    granter's reach get the same answer, so grants never reveal which usernames exist."""

    default_error_messages = {"unknown": _("No such user in your reach.")}

    def to_representation(self, user: Any) -> str:
        return user.get_username()

    def to_internal_value(self, data: Any) -> Any:
        request = self.context.get("request")
        username = data if isinstance(data, str) else ""
        user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
        if user is None or request is None or not services.may_grant_to(actor=request.user, user=user):
            self.fail("unknown")
        return user


class RoleAssignmentSerializer(serializers.ModelSerializer):
    unit = ScopedRelatedField(queryset=Unit.objects.all())
    user = GranteeField(help_text="username of the account that receives the role")
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "role_display", "unit", "unit_name", "note", "granted_by", "granted_at"]
        read_only_fields = ["granted_by", "granted_at"]


ENTRY_FIELDS = [
    "id",
    "key",
    "code",
    "title",
    "scope_note",
    "category_code",
    "retention_code",
    "frequency",
    "required",
    "for_villages",
    "for_communities",
    "position",
    "parent",
]


class TemplateEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateEntry
        fields = ENTRY_FIELDS
        read_only_fields = ENTRY_FIELDS


class CatalogueTemplateSerializer(serializers.ModelSerializer):
    """A version of the county's reference template (基本目录参考模板); its entries on the detail."""

    entries = TemplateEntrySerializer(many=True, read_only=True)

    class Meta:
        model = CatalogueTemplate
        fields = ["id", "unit", "version", "title", "note", "status", "created_at", "published_at", "entries"]
        read_only_fields = fields


class CatalogueEntrySerializer(serializers.ModelSerializer):
    local = serializers.BooleanField(source="is_local", read_only=True, help_text="the village's own (一村一品)")

    class Meta:
        model = CatalogueEntry
        fields = [*ENTRY_FIELDS, "local", "applicable", "not_applicable_reason"]
        read_only_fields = fields


class VillageCatalogueSerializer(serializers.ModelSerializer):
    """A village's filing catalogue (归档清单): its live entries, in order."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    entries = serializers.SerializerMethodField()

    class Meta:
        model = VillageCatalogue
        fields = ["id", "unit", "unit_name", "template", "template_version", "updated_at", "entries"]
        read_only_fields = fields

    @extend_schema_field(CatalogueEntrySerializer(many=True))
    def get_entries(self, catalogue: VillageCatalogue) -> list[dict[str, Any]]:
        live = [entry for entry in catalogue.entries.all() if entry.retired_at is None]
        return CatalogueEntrySerializer(live, many=True).data


class DifferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["added", "changed", "removed"])
    key = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(), help_text="changed: field name → [current, new]", required=False
    )


class AdoptSerializer(serializers.Serializer):
    keys = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=1000, help_text="entry keys of the differences to adopt"
    )


class ApplicabilitySerializer(serializers.Serializer):
    entry = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    applicable = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TemplateStartSerializer(serializers.Serializer):
    county = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="the county whose draft to open (its default template if it has none)",
    )


class TemplateUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class EntryWriteSerializer(serializers.Serializer):
    """An entry's content to add or change (only the fields sent change). ``parent``: the heading
    it goes under (none when adding: a new heading; when changing: it moves there)."""

    parent = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True)
    code = serializers.CharField(max_length=20, required=False)
    title = serializers.CharField(max_length=200, required=False)
    scope_note = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    category_code = serializers.CharField(max_length=32, required=False, allow_blank=True)
    retention_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    required = serializers.BooleanField(required=False)
    for_villages = serializers.BooleanField(required=False)
    for_communities = serializers.BooleanField(required=False)


class LocalEntryWriteSerializer(EntryWriteSerializer):
    """One of a village's own entries (一村一品); it applies to the village."""

    for_villages = None
    for_communities = None


class CatalogueDeriveSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="the village or community")
