"""Names, not codes, in templates: ``{% load holdings_names %}`` then ``{{ item|name_of:"retention" }}``
(永久, 定期30年), ``{{ item|name_of:"category" }}`` (文书), ``{{ item|name_of:"classification" }}``.

The filter renders through :class:`holdings.models.RecordNames`, as the exports do. Lists
should ``select_related("category", "retention")`` (the list selectors do): the filter then
adds no query per row.
"""

from __future__ import annotations

from typing import Any

from django import template

from holdings.models import RecordNames

register = template.Library()


@register.filter
def name_of(record: Any, field: str) -> str:
    """The name a person reads for ``record``'s coded ``field`` (a category, a retention
    period or a choice), e.g. ``{{ volume|name_of:"retention" }}`` → ``定期30年``."""
    if record is None or not field:
        return ""
    return RecordNames(type(record)).of(record, field)
