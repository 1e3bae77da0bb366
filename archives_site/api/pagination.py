"""Pagination for API lists: page numbers for small resources; cursors for large ones."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from archives_site.filters import MAX_ID
from archives_site.search import search_ids


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class SearchPagination(pagination.BasePagination):
    """Keyset pages, newest first, with the shared Chinese search (``?q=``) built in.

    ``?after=<id>`` continues after the last row of the previous page. The response gives
    ``count`` and ``count_is_estimate``: exact where cheap, otherwise an estimate ("约 N 条").
    """

    page_size = 20
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = _bounded_int(request, "page_size", self.page_size, 1, self.max_page_size)
        after_id = _bounded_int(request, "after", None, 1, MAX_ID)
        self.search_page = search_ids(
            queryset, request.query_params.get("q", ""), page_size=max(self.size, 1), after_id=after_id
        )
        by_id = queryset.in_bulk(self.search_page.ids)
        return [by_id[i] for i in self.search_page.ids if i in by_id]

    def get_paginated_response(self, data):
        page = self.search_page
        next_url = None
        if page.has_more and page.ids:
            next_url = replace_query_param(self.request.build_absolute_uri(), "after", page.ids[-1])
        return Response(
            {"count": page.total, "count_is_estimate": page.total_is_estimate, "next": next_url, "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer"},
                "count_is_estimate": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "q",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Chinese substring search; space-separated terms are ANDed",
            },
            {
                "name": "after",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "description": "continue after this id (from the next link)",
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _bounded_int(request, name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query parameter within ``low..high`` (absent → ``default``), else a 400
    naming it. (``page_size`` above the maximum is capped, as DRF's own pages do.)"""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (value > high and name != "page_size"):
        raise ValidationError({name: [_("Use a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]})
    return min(value, high)
