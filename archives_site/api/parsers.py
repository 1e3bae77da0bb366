"""The API's parsers: a body nested too deep is a 400, not a ``RecursionError`` (500); a body
that cannot be parsed says in the client's language where and how to fix it (DRF's own messages
are English and quote Python's parser, e.g. ``JSON parse error - Expecting ',' delimiter``).

Python's ``json`` recurses once per level of nesting, so a small body of 50,000 ``[`` exhausts
the stack. No request of this API nests more than a few levels; :data:`MAX_DEPTH` leaves ample
room and keeps what the serializers walk afterwards shallow too.
"""

import json
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
        except ParseError as exc:
            raise ParseError(_json_problem(exc.__context__), code="parse_error") from exc
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(self._too_deep(), code="too_deep")
        return data

    @staticmethod
    def _too_deep() -> str:
        return _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, saying in the client's language that the form data is broken."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            message = _(
                "The form data cannot be read: it is incomplete or malformed (multipart/form-data). "
                "Send the form or the file again."
            )
            raise ParseError(message, code="parse_error") from exc


def _json_problem(cause: BaseException | None) -> str:
    """What is wrong with a JSON body, and where (Python's parser says it in English)."""
    if isinstance(cause, json.JSONDecodeError):
        return _(
            "The request body is not valid JSON: the error is at line %(line)d, column %(column)d. "
            "Check the quotes, commas and brackets there."
        ) % {"line": cause.lineno, "column": cause.colno}
    if isinstance(cause, UnicodeDecodeError):
        return _("The request body is not UTF-8 text. Send the JSON encoded as UTF-8.")
    return _("The request body is not valid JSON: NaN and Infinity are not numbers in JSON.")


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
