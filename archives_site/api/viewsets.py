"""The base API viewset: every scoped resource restricts by HTTP method and fails closed.

- unauthenticated → 401; no role allowing this kind of action on the resource → 403;
- an object outside the user's read reach → 404 (its existence is not revealed);
- a write that would touch or land outside the user's write reach → 403, inside a transaction
  that is rolled back, so nothing is saved.

Subclasses set ``queryset`` (a model with a ``ScopePolicy``) and implement ``save_new``,
``save_changes`` and ``remove`` by calling their app's services.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import exceptions, permissions, viewsets

from archives_site.scoping import Action, forget_user_scope, instance_in_scope, user_can


class RolePermission(permissions.BasePermission):
    """Allow a request only if some role of the user allows its action on the resource."""

    message = None  # the error handler supplies the human message

    def has_permission(self, request: Any, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return user_can(request.user, view.scope_resource, Action.for_method(request.method))


class ScopedViewSetMixin:
    """Restricted querysets and write checks for any DRF generic view over a scoped model."""

    permission_classes = [permissions.IsAuthenticated, RolePermission]

    @property
    def scope_resource(self) -> str:
        return self.queryset.model.scope.resource  # type: ignore[attr-defined]

    def check_permissions(self, request: Any) -> None:
        # A method this resource does not have (no handler: no mixin for it) is a 405 for
        # everyone, before roles are looked at: "not allowed here" is not a matter of reach.
        if not hasattr(self, request.method.lower()):
            raise exceptions.MethodNotAllowed(request.method)
        super().check_permissions(request)  # type: ignore[misc]

    def get_queryset(self) -> Any:
        # Reads and lookups for writes both start from what the user may *see*, so an object
        # out of reach is a 404 for every method; write reach is checked on the object itself.
        return self.queryset.restrict(self.request.user, Action.VIEW)  # type: ignore[attr-defined]

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        action = Action.for_method(self.request.method)  # type: ignore[attr-defined]
        if action != Action.VIEW and not instance_in_scope(obj, self.request.user, action):  # type: ignore[attr-defined]
            raise exceptions.PermissionDenied()
        return obj

    def check_write_scope(self, instance: Any, action: Action) -> None:
        """Refuse (and so roll back) a write whose result lies outside the user's reach.

        The reach is resolved afresh: the write may have moved units around.
        """
        forget_user_scope(self.request.user)  # type: ignore[attr-defined]
        if not instance_in_scope(instance, self.request.user, action):  # type: ignore[attr-defined]
            raise exceptions.PermissionDenied()

    def save_new(self, serializer: Any) -> Any:
        return serializer.save()

    def save_changes(self, serializer: Any) -> Any:
        return serializer.save()

    def remove(self, instance: Any) -> None:
        instance.delete()

    # The write and its scope check share one transaction: a refused write leaves nothing saved.
    # The wrapping lives here, not in create()/update()/destroy(), so a resource without those
    # mixins has no such methods at all and answers a plain 405.
    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.instance = self.save_new(serializer)
            self.check_write_scope(serializer.instance, Action.ADD)

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.instance = self.save_changes(serializer)
            self.check_write_scope(serializer.instance, Action.CHANGE)

    def perform_destroy(self, instance: Any) -> None:
        with transaction.atomic():
            self.remove(instance)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass
