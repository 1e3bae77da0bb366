"""The HTML counterpart of the scoped API viewset: same rules, same failures.

Login required; no role for the resource → 403; object outside read reach → 404; a write to an
object outside write reach → 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from archives_site.scoping import Action, instance_in_scope, user_can


class ScopedViewMixin(LoginRequiredMixin):
    """For Django class-based views over a model with a ``ScopePolicy``."""

    model: Any

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not user_can(
            request.user, self.model.scope.resource, Action.for_method(request.method)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return super().get_queryset().restrict(self.request.user, Action.VIEW)  # type: ignore[misc]

    def get_object(self, queryset: Any = None) -> Any:
        obj = super().get_object(queryset)  # type: ignore[misc]
        action = Action.for_method(self.request.method)
        if action != Action.VIEW and not instance_in_scope(obj, self.request.user, action):
            raise PermissionDenied
        return obj

    def paginate_queryset(self, queryset: Any, page_size: int) -> tuple[Any, Any, Any, bool]:
        """A page number that is no number or past the end shows the nearest page (Django's
        ``get_page``), not a 404: it comes from an edited or out-of-date address."""
        paginator = self.get_paginator(  # type: ignore[attr-defined]
            queryset,
            page_size,
            orphans=self.get_paginate_orphans(),  # type: ignore[attr-defined]
            allow_empty_first_page=self.get_allow_empty(),  # type: ignore[attr-defined]
        )
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))  # type: ignore[attr-defined]
        return paginator, page, page.object_list, page.has_other_pages()
