"""The API's JSON parser: a body nested too deep is a 400, not a ``RecursionError`` (500).

Python's ``json`` recurses once per level of nesting, so a small body of 50,000 ``[`` exhausts
the stack. No request of this API nests more than a few levels; :data:`MAX_DEPTH` leaves ample
room and keeps what the serializers walk afterwards shallow too.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with nesting limited to :data:`MAX_DEPTH` levels."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self._too_deep(), code="too_deep") from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(self._too_deep(), code="too_deep")
        return data

    @staticmethod
    def _too_deep() -> str:
        return _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists/objects more than ``limit`` deep (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
