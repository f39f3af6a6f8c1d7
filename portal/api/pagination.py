"""The v2 (Laravel-style) paginator: `links` and `meta` beside `data`."""

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

from portal.api.responses import v2_response

# Query parameters never copied into pagination links (they are credentials or transport).
DROPPED_PARAMS = {"access_token", "_method", "page"}


def _window(current, last, on_each_side=3):
    """Page numbers to list, with None for a "..." gap, as Laravel's UrlWindow does (so
    `meta.links` matches what clients of the catalogued API already render)."""
    if last < on_each_side * 2 + 8:
        return list(range(1, last + 1))
    window = on_each_side + 4
    if current <= window:
        return [*range(1, window + on_each_side + 1), None, last - 1, last]
    if current > last - window:
        return [1, 2, None, *range(last - (window + on_each_side - 1), last + 1)]
    return [1, 2, None, *range(current - on_each_side, current + on_each_side + 1), None, last - 1, last]


class V2Pagination(BasePagination):
    page_query_param = "page"
    page_size_query_params = ("per_page", "limit")

    def __init__(self, page_size=None):
        self.page_size = page_size or settings.API_PAGE_SIZE

    def _int_param(self, request, names, default):
        for name in names:
            raw = request.query_params.get(name)
            if raw in (None, ""):
                continue
            try:
                value = int(raw)
            except ValueError:
                raise ValidationError({name: [f"The {name} must be an integer."]}) from None
            if value < 1:
                raise ValidationError({name: [f"The {name} must be at least 1."]})
            return value
        return default

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        per_page = min(
            self._int_param(request, self.page_size_query_params, self.page_size), settings.API_MAX_PAGE_SIZE
        )
        self.paginator = Paginator(queryset, per_page)
        number = self._int_param(request, (self.page_query_param,), 1)
        try:
            self.page = self.paginator.page(number)
        except EmptyPage:
            # Laravel answers a page past the end with an empty data list, not an error.
            self.page = None
            self.number = number
            return []
        self.number = number
        return list(self.page.object_list)

    def _url(self, number):
        if number is None:
            return None
        params = self.request.query_params.copy()
        for name in DROPPED_PARAMS:
            params.pop(name, None)
        params[self.page_query_param] = number
        return f"{self._path()}?{params.urlencode()}"

    def _path(self):
        return self.request.build_absolute_uri(self.request.path)

    def links_and_meta(self):
        count = self.paginator.count
        per_page = self.paginator.per_page
        last = max(self.paginator.num_pages, 1)
        current = self.number
        has_prev = current > 1  # also past the end, as Laravel does
        has_next = current < last
        if self.page is not None and count:
            start, end = self.page.start_index(), self.page.end_index()
        else:
            start = end = None
        prev_url = self._url(current - 1) if has_prev else None
        next_url = self._url(current + 1) if has_next else None
        meta_links = [{"url": prev_url, "label": "&laquo; Previous", "active": False}]
        for n in _window(current, last):
            if n is None:
                meta_links.append({"url": None, "label": "...", "active": False})
            else:
                meta_links.append({"url": self._url(n), "label": str(n), "active": n == current})
        meta_links.append({"url": next_url, "label": "Next &raquo;", "active": False})
        links = {"first": self._url(1), "last": self._url(last), "prev": prev_url, "next": next_url}
        meta = {
            "current_page": current,
            "from": start,
            "last_page": last,
            "links": meta_links,
            "path": self._path(),
            "per_page": per_page,
            "to": end,
            "total": count,
        }
        return links, meta

    def get_paginated_response(self, data, message="OK"):
        links, meta = self.links_and_meta()
        return v2_response(data, message, links=links, meta=meta)

    def get_paginated_response_schema(self, schema):
        url = {"type": "string", "format": "uri", "nullable": True}
        integer = {"type": "integer"}
        return {
            "type": "object",
            "required": ["status", "code", "message", "data", "links", "meta"],
            "properties": {
                "status": {"type": "string", "example": "OK"},
                "code": {"type": "integer", "example": 200},
                "message": {"type": "string"},
                "data": schema,
                "links": {"type": "object", "properties": {k: url for k in ("first", "last", "prev", "next")}},
                "meta": {
                    "type": "object",
                    "properties": {
                        "current_page": integer,
                        "from": {**integer, "nullable": True},
                        "last_page": integer,
                        "links": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"url": url, "label": {"type": "string"}, "active": {"type": "boolean"}},
                            },
                        },
                        "path": {"type": "string", "format": "uri"},
                        "per_page": {**integer, "example": 15},
                        "to": {**integer, "nullable": True},
                        "total": integer,
                    },
                },
            },
        }
