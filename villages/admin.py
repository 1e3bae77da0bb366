"""Admin pages for units and role assignments; writes go through the services (audited)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.admin import GuardedModelAdminMixin

from . import services
from .models import RoleAssignment, Unit


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "unit"
    extra = 0
    fields = ["user", "role", "note", "granted_by", "granted_at"]
    readonly_fields = ["user", "role", "note", "granted_by", "granted_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # grant through the role assignment page, which checks and audits


@admin.register(Unit)
class UnitAdmin(GuardedModelAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "custody_mode", "is_active"]
    list_filter = ["kind", "custody_mode", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "created_at", "updated_at"]
    inlines = [RoleAssignmentInline]

    def save_model(self, request: Any, obj: Unit, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.UNIT_EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            services.unit_update(unit=Unit.objects.get(pk=obj.pk), actor=request.user, request=request, **fields)
        else:
            obj.pk = services.unit_create(actor=request.user, request=request, **fields).pk

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # units are deactivated, never deleted: records refer to them


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "granted_by", "granted_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]
    readonly_fields = ["granted_by", "granted_at"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        # A grant is never edited in place: revoke it and grant anew (both audited).
        return ["user", "role", "unit", "granted_by", "granted_at"] if obj else self.readonly_fields

    def save_model(self, request: Any, obj: RoleAssignment, form: Any, change: bool) -> None:
        if change:
            RoleAssignment.objects.filter(pk=obj.pk).update(note=obj.note)
            return
        try:
            created = services.role_assignment_create(
                actor=request.user, user=obj.user, role=obj.role, unit=obj.unit, note=obj.note, request=request
            )
        except (PermissionDenied, ValidationError) as exc:
            raise PermissionDenied(exc) from exc
        obj.pk = created.pk

    def delete_model(self, request: Any, obj: RoleAssignment) -> None:
        services.role_assignment_delete(actor=request.user, assignment=obj, request=request)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for assignment in queryset:
            services.role_assignment_delete(actor=request.user, assignment=assignment, request=request)
