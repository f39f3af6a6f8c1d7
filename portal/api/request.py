"""The v2 request: parameters a client put in the query string of a write count as body fields.

Published clients (the Odoo connector, older plugins) POST with every parameter in the query string
and an empty body, as the vendor's Laravel API accepted. So `request.data` of a POST, PUT or PATCH
is the query string's parameters overlaid with the body's: a field given in both keeps the body's
value. The credential and the verb override are transport, never data.
"""

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.request import Request, _hasattr

WRITE_METHODS = {"POST", "PUT", "PATCH"}
TRANSPORT_PARAMS = {"access_token", "_method"}


def overlay(query, body):
    """`body` over `query` (both as parsed by DRF); a body that is not an object is left alone."""
    if isinstance(body, MultiValueDict):  # form, multipart, or no body at all
        merged = QueryDict(mutable=True, encoding=query.encoding)
        for key in query:
            if key not in TRANSPORT_PARAMS:
                merged.setlist(key, query.getlist(key))
        for key in body:
            merged.setlist(key, body.getlist(key))
        return merged
    if isinstance(body, dict):  # JSON object: query values are plain strings (the last one wins)
        return {**{k: query[k] for k in query if k not in TRANSPORT_PARAMS}, **body}
    return body


class V2Request(Request):
    def _load_data_and_files(self):
        parsing = not _hasattr(self, "_data")  # DRF calls this on every `request.data`
        super()._load_data_and_files()
        query = self._request.GET
        if parsing and self.method in WRITE_METHODS and any(k not in TRANSPORT_PARAMS for k in query):
            self._data = overlay(query, self._data)
            self._full_data = overlay(query, self._full_data)
