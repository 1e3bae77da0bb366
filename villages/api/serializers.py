from django.contrib.auth import get_user_model
from rest_framework import serializers

from archives_site.api.fields import ScopedRelatedField

from ..models import RoleAssignment, Unit


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


class RoleAssignmentSerializer(serializers.ModelSerializer):
    unit = ScopedRelatedField(queryset=Unit.objects.all())
    user = serializers.SlugRelatedField(slug_field="username", queryset=get_user_model().objects.filter(is_active=True))
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "role_display", "unit", "unit_name", "note", "granted_by", "granted_at"]
        read_only_fields = ["granted_by", "granted_at"]
