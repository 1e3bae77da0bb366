"""Pagination for API lists: page numbers for small resources; cursors for large ones."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

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
        try:
            self.size = min(int(request.query_params.get("page_size", self.page_size)), self.max_page_size)
            after = request.query_params.get("after")
            after_id = int(after) if after else None
        except ValueError as exc:
            raise ValidationError({"after": [_("Use a whole number, as given in the 'next' link.")]}) from exc
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
                "schema": {"type": "integer"},
                "description": "continue after this id (from the next link)",
            },
            {"name": "page_size", "in": "query", "required": False, "schema": {"type": "integer"}},
        ]
