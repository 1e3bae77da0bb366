from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from archives_site.api.fields import ScopedRelatedField

from .. import services
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
