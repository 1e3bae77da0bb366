from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from archives_site.filters import MOMENT_RANGE, check_moment
from archives_site.scoping import Action


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field whose choices are only the rows the requesting user may see (fail closed)."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return super().get_queryset().restrict(request.user if request else None, Action.VIEW)


class TextField(serializers.CharField):
    """A text field that takes only JSON strings (DRF's CharField also turns 12 into "12")."""

    default_error_messages = {"not_text": _("Give text (a JSON string), not a number, a list or an object.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class MomentField(serializers.DateTimeField):
    """A date and time within the years 1900–2100 (DRF's own overflows on year 1 or 9999 in a
    time zone away from UTC, a server error)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return check_moment(super().to_internal_value(value))
        except (OverflowError, DjangoValidationError) as exc:
            raise serializers.ValidationError(MOMENT_RANGE) from exc
