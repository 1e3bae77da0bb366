"""The audit log and API tokens in the admin: readable, never editable (tokens can be revoked)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, AuditEvent
from .tokens import api_token_revoke


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_name", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "object_repr", "object_id", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username"]
    actions = ["revoke"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # issued through the API only: the key is shown once, to its user

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # revoked, not deleted: the audit trail refers to them

    def has_revoke_permission(self, request: Any) -> bool:
        return request.user.is_superuser

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request: Any, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()):
            api_token_revoke(token=token, actor=request.user, request=request)


def _superusers_only(request: Any) -> bool:
    """Django admin is the technical operator's (superusers): every staff task has its page in
    the app (issue 8), so a staff flag alone opens nothing here."""
    return bool(request.user.is_active and request.user.is_superuser)


# The one place: every admin view and the admin's login asks ``admin.site.has_permission``.
admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
