"""The fingerprint of an API request, stored beside its idempotency key (Stripe's rule): a key
replays the first answer only for the same request; with other parameters it is a 409."""

import hashlib
import json

from django.http import QueryDict

from portal.core import text
from portal.core.errors import ValidationFailed

# Where the key travels, not what the request asks for.
NOT_PARAMETERS = frozenset({"access_token", "_method"})


def _plain(data):
    if isinstance(data, QueryDict):  # a single value reads like JSON's string, a repeated one as a list
        lists = {k: data.getlist(k) for k in data if k not in NOT_PARAMETERS}
        return {k: v[0] if len(v) == 1 else v for k, v in lists.items()}
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in NOT_PARAMETERS}
    return data


def request_fingerprint(request):
    """SHA-256 over the path (trailing slash or not) and the canonical parameters: the query
    string and the body merged (body wins), keys sorted, credentials left out. Two requests with
    the same fingerprint ask for the same thing however the client spelled them (JSON or form,
    key order, whitespace, where the API key travels)."""
    query = _plain(request.query_params)
    body = _plain(request.data)
    params = {**query, **body} if isinstance(body, dict) else {"query": query, "body": body}
    canonical = json.dumps(
        {"path": request.path.rstrip("/"), "params": params},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def idempotency_header(request):
    """The request's `Idempotency-Key` header, trimmed; "" when absent. A key holding what no text
    may hold (portal.core.text) is a 422."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if what := text.problem(key):
        raise ValidationFailed({"Idempotency-Key": [text.message("Idempotency-Key", what)]})
    return key
