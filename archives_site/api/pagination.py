"""Pagination for API lists: page numbers for small resources; cursors for large ones."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
