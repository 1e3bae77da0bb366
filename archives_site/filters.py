"""Filters shared by every filterset (API and HTML lists).

A foreign key is filtered by a plain id (:class:`IdFilter`), never a model choice: a choice
field would list every row of the installation in the browsable API's filter form and answer
400 for an unknown id but 200 for one out of reach, telling the two apart. An id is only a
number here; the restricted queryset decides what it matches (an unknown or out-of-reach id →
no rows). Numbers are bounded, so an out-of-range value is a 400, never a database error.
"""

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

# PostgreSQL's bigint: every primary key of the project is a BigAutoField.
MAX_ID = 2**63 - 1


def whole_number(text: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number typed in an address or a box, between ``low`` and ``high``; anything else
    (text, signs, ``²`` or other digits Python counts but ``int`` refuses) counts as absent."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


class BoundedIntegerFilter(django_filters.NumberFilter):
    """A whole number between ``min_value`` and ``max_value`` (else the form says which)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, min_value: int, max_value: int, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", min_value)
        kwargs.setdefault("max_value", max_value)
        super().__init__(*args, **kwargs)

    def get_max_validator(self) -> None:
        return None  # the field's own max_value bounds it


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(BoundedIntegerFilter):
    """The id of a related row (``?fonds=12``): a positive whole number, not a choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(BoundedIntegerFilter):
    """A year (年度): 1..9999."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=9999, **kwargs)


MOMENT_RANGE = _("Give a moment between the years 1900 and 2100.")


def check_moment(moment: Any) -> Any:
    """A moment within the years a record can bear (1900–2100) with a real time-zone offset
    (±14 h), or a ValidationError saying so (never an overflow or a database error later)."""
    offset = moment.utcoffset() if moment is not None else None
    if moment is not None and (
        not 1900 <= moment.year <= 2100 or (offset is not None and abs(offset.total_seconds()) > 14 * 3600)
    ):
        raise ValidationError(MOMENT_RANGE, code="invalid")
    return moment


class _MomentField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> Any:
        try:
            return check_moment(super().to_python(value))
        except OverflowError as exc:  # year 1 in a zone ahead of UTC
            raise ValidationError(MOMENT_RANGE, code="invalid") from exc


class MomentFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 moment filter that answers 400 for years outside 1900–2100."""

    field_class = _MomentField
