"""Paging for every list in the API: `?limit=&offset=`, 50 rows by default, at most 500.

A limit or offset beyond what PostgreSQL's bigint holds (a fuzzer's `limit=99999999999999999999`)
would end in a 500; it is capped here instead, so any number gives a page.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**62


class Pagination(LimitOffsetPagination):
    max_limit = 500

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
