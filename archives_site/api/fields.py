from typing import Any

from rest_framework import serializers

from archives_site.scoping import Action


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field whose choices are only the rows the requesting user may see (fail closed)."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return super().get_queryset().restrict(request.user if request else None, Action.VIEW)
