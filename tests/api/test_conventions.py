"""The shared v2 conventions: envelope, pagination, errors, `_method`, unknown paths."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import credits
from portal.api.pagination import _window
from portal.middleware import MethodOverrideMiddleware
from tests.api.helpers import bearer
from tests.factories import make_key

pytestmark = pytest.mark.urls("tests.api.urls_for_tests")

EVENTS = "http://testserver/api/v2/test/events"


@pytest.fixture
def events(account):
    AuditEvent.objects.filter(account=account).delete()
    AuditEvent.objects.bulk_create(AuditEvent(account=account, action=f"test.{i}") for i in range(40))
    return list(AuditEvent.objects.filter(account=account).order_by("id"))


def labels(body):
    return [link["label"] for link in body["meta"]["links"]]


# Envelope, links and meta


def test_a_list_has_the_envelope_links_and_meta(api_client, events):
    body = api_client.get("/api/v2/test/events").json()
    assert list(body) == ["status", "code", "message", "data", "links", "meta"]
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "Events List"
    assert [row["id"] for row in body["data"]] == [e.pk for e in events[:15]]
    assert body["links"] == {
        "first": f"{EVENTS}?page=1",
        "last": f"{EVENTS}?page=3",
        "prev": None,
        "next": f"{EVENTS}?page=2",
    }
    assert body["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 3,
        "links": [
            {"url": None, "label": "&laquo; Previous", "active": False},
            {"url": f"{EVENTS}?page=1", "label": "1", "active": True},
            {"url": f"{EVENTS}?page=2", "label": "2", "active": False},
            {"url": f"{EVENTS}?page=3", "label": "3", "active": False},
            {"url": f"{EVENTS}?page=2", "label": "Next &raquo;", "active": False},
        ],
        "path": EVENTS,
        "per_page": 15,
        "to": 15,
        "total": 40,
    }


def test_a_middle_page(api_client, events):
    body = api_client.get("/api/v2/test/events?page=2").json()
    assert [row["id"] for row in body["data"]] == [e.pk for e in events[15:30]]
    assert body["links"]["prev"] == f"{EVENTS}?page=1" and body["links"]["next"] == f"{EVENTS}?page=3"
    assert body["meta"]["from"] == 16 and body["meta"]["to"] == 30
    assert [link["active"] for link in body["meta"]["links"]] == [False, False, True, False, False]
    assert body["meta"]["links"][0]["url"] == f"{EVENTS}?page=1"


def test_the_last_page(api_client, events):
    body = api_client.get("/api/v2/test/events?page=3").json()
    assert [row["id"] for row in body["data"]] == [e.pk for e in events[30:]]
    assert body["meta"]["from"] == 31 and body["meta"]["to"] == 40 and body["meta"]["current_page"] == 3
    assert body["links"]["next"] is None and body["meta"]["links"][-1]["url"] is None
    assert body["links"]["prev"] == f"{EVENTS}?page=2"


def test_per_page_changes_the_page_size_and_stays_in_the_links(api_client, events):
    body = api_client.get("/api/v2/test/events?per_page=25&page=2").json()
    assert body["meta"]["per_page"] == 25 and len(body["data"]) == 15
    assert body["meta"]["last_page"] == 2 and body["meta"]["from"] == 26 and body["meta"]["to"] == 40
    assert body["links"]["first"] == f"{EVENTS}?per_page=25&page=1"
    assert body["links"]["prev"] == f"{EVENTS}?per_page=25&page=1"
    assert body["meta"]["path"] == EVENTS


def test_limit_is_an_alias_of_per_page(api_client, events):
    body = api_client.get("/api/v2/test/events?limit=10").json()
    assert body["meta"]["per_page"] == 10 and len(body["data"]) == 10 and body["meta"]["last_page"] == 4


def test_per_page_is_capped(api_client, events, settings):
    settings.API_MAX_PAGE_SIZE = 20
    body = api_client.get("/api/v2/test/events?per_page=5000").json()
    assert body["meta"]["per_page"] == 20 and len(body["data"]) == 20


def test_a_page_past_the_end_is_empty(api_client, events):
    body = api_client.get("/api/v2/test/events?page=9").json()
    assert body["status"] == "OK" and body["data"] == []
    assert body["meta"]["from"] is None and body["meta"]["to"] is None
    assert body["meta"]["current_page"] == 9 and body["meta"]["total"] == 40 and body["meta"]["last_page"] == 3
    assert body["links"]["next"] is None and body["links"]["last"] == f"{EVENTS}?page=3"
    # Laravel's previous link: the page before the requested one.
    assert body["links"]["prev"] == f"{EVENTS}?page=8"
    assert not any(link["active"] for link in body["meta"]["links"])


def test_an_empty_list(api_client, account):
    AuditEvent.objects.filter(account=account).delete()
    body = api_client.get("/api/v2/test/events").json()
    assert body["data"] == []
    assert body["links"] == {"first": f"{EVENTS}?page=1", "last": f"{EVENTS}?page=1", "prev": None, "next": None}
    meta = body["meta"]
    assert (meta["total"], meta["last_page"], meta["from"], meta["to"], meta["current_page"]) == (0, 1, None, None, 1)
    assert labels(body) == ["&laquo; Previous", "1", "Next &raquo;"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("page=abc", "page", "The page must be an integer."),
        ("page=1.5", "page", "The page must be an integer."),
        ("page=0", "page", "The page must be at least 1."),
        ("page=-2", "page", "The page must be at least 1."),
        ("per_page=-1", "per_page", "The per_page must be at least 1."),
        ("per_page=0", "per_page", "The per_page must be at least 1."),
        ("per_page=ten", "per_page", "The per_page must be an integer."),
        ("limit=x", "limit", "The limit must be an integer."),
    ],
)
def test_invalid_paging_parameters_are_422(api_client, events, query, field, message):
    res = api_client.get(f"/api/v2/test/events?{query}")
    assert res.status_code == 422
    assert res.json() == {"status": "failed", "code": 422, "message": message, "errors": {field: [message]}}


def test_credentials_and_the_verb_override_are_never_copied_into_links(api_key_and_secret, events):
    secret = api_key_and_secret[1]
    body = APIClient().get(f"/api/v2/test/events?access_token={secret}&_method=GET&filter[x]=1").json()
    text = str(body["links"]) + str(body["meta"])
    assert secret not in text and "access_token" not in text and "_method" not in text
    assert body["links"]["next"] == f"{EVENTS}?filter%5Bx%5D=1&page=2"


def test_a_list_built_from_a_row_function(api_client, account):
    credits.debit(account=account, amount="30", reason="x")
    body = api_client.get("/api/v2/test/ledger").json()
    assert body["message"] == "Ledger List" and body["meta"]["total"] == 2
    assert body["data"] == [
        {"amount": "100.0000", "balance_after": "100.0000", "kind": "topup"},
        {"amount": "-30.0000", "balance_after": "70.0000", "kind": "debit"},
    ]


def test_a_list_shows_only_the_callers_rows(api_client, events, other_account):
    body = bearer(make_key(other_account)[1]).get("/api/v2/test/events").json()
    assert {row["id"] for row in body["data"]}.isdisjoint(e.pk for e in events)


def test_a_list_runs_a_fixed_number_of_queries(api_client, events, django_assert_max_num_queries):
    api_client.get("/api/v2/test/events")  # first call records the key's use
    with django_assert_max_num_queries(3):  # key lookup, count, page
        assert api_client.get("/api/v2/test/events?per_page=40").status_code == 200


# Windowing of meta.links ("..." as Laravel's UrlWindow: 3 pages each side)


@pytest.mark.parametrize(
    ("current", "last", "expected"),
    [
        (1, 1, [1]),
        (5, 13, list(range(1, 14))),
        (1, 14, [*range(1, 11), None, 13, 14]),
        (7, 30, [*range(1, 11), None, 29, 30]),
        (8, 30, [1, 2, None, 5, 6, 7, 8, 9, 10, 11, None, 29, 30]),
        (15, 30, [1, 2, None, *range(12, 19), None, 29, 30]),
        (23, 30, [1, 2, None, *range(20, 27), None, 29, 30]),
        (24, 30, [1, 2, None, *range(21, 31)]),
        (30, 30, [1, 2, None, *range(21, 31)]),
        (99, 30, [1, 2, None, *range(21, 31)]),
    ],
)
def test_the_page_window(current, last, expected):
    assert _window(current, last) == expected


def test_many_pages_are_windowed_in_meta_links(api_client, account):
    AuditEvent.objects.filter(account=account).delete()
    AuditEvent.objects.bulk_create(AuditEvent(account=account, action="x") for _ in range(30))
    body = api_client.get("/api/v2/test/events?per_page=1&page=15").json()
    assert labels(body) == [
        "&laquo; Previous",
        "1",
        "2",
        "...",
        *[str(n) for n in range(12, 19)],
        "...",
        "29",
        "30",
        "Next &raquo;",
    ]
    gaps = [link for link in body["meta"]["links"] if link["label"] == "..."]
    assert all(link["url"] is None and link["active"] is False for link in gaps)
    active = [link for link in body["meta"]["links"] if link["active"]]
    assert active == [{"url": f"{EVENTS}?per_page=1&page=15", "label": "15", "active": True}]


# Errors


def test_validation_errors_use_the_422_shape(api_client):
    res = api_client.post("/api/v2/test/strict", {"count": 0, "nodes": [{"to": "1"}, {"to": ["x"]}]}, format="json")
    assert res.status_code == 422
    body = res.json()
    assert list(body) == ["status", "code", "message", "errors"]
    assert body["status"] == "failed" and body["code"] == 422
    assert body["message"] == body["errors"]["name"][0] == "This field is required."
    assert body["errors"]["count"] == ["Ensure this value is greater than or equal to 1."]
    assert body["errors"]["nodes.1.to"] == ["Not a valid string."]
    assert "nodes.0.to" not in body["errors"]


def test_a_domain_error_keeps_its_status_and_message(api_client):
    res = api_client.post("/api/v2/test/boom")
    assert res.status_code == 409
    assert res.json() == {
        "status": "failed",
        "code": 409,
        "message": "This sender still has templates. Delete them first.",
    }


def test_an_unexpected_error_is_a_500_envelope(api_client, caplog):
    res = api_client.get("/api/v2/test/boom")
    assert res.status_code == 500
    assert res.json() == {"status": "failed", "code": 500, "message": "Server Error"}
    assert "a bug" not in res.content.decode()
    assert "Unhandled API error" in caplog.text


def test_malformed_json_is_a_400_envelope(api_client):
    res = api_client.post("/api/v2/test/strict", "{not json", content_type="application/json")
    assert res.status_code == 400
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 400 and body["message"].startswith("JSON parse error")


def test_an_unsupported_body_type_is_a_415_envelope(api_client):
    res = api_client.post("/api/v2/test/strict", "name=x", content_type="text/plain")
    assert res.status_code == 415
    assert res.json() == {
        "status": "failed",
        "code": 415,
        "message": 'Unsupported media type "text/plain" in request.',
    }


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/api/v2/no/such/thing", "/api/v3/nothing", "/api/v2/auth/me/extra"])
def test_unknown_api_paths_get_the_404_envelope(api_client, method, path):
    res = getattr(api_client, method)(path)
    assert res.status_code == 404
    assert res["Content-Type"] == "application/json"
    assert res.json() == {"status": "failed", "code": 404, "message": "Not Found."}


def test_an_unknown_path_answers_json_even_to_a_csrf_checking_client(db):
    # Django's CSRF check would answer an HTML 403 before any view; API paths have no cookies.
    res = APIClient(enforce_csrf_checks=True).post("/api/v2/no/such/thing", {"a": 1}, format="json")
    assert res.status_code == 404 and res.json()["message"] == "Not Found."


def test_a_missing_trailing_slash_still_finds_the_docs(client, db):
    res = client.get("/api/docs?x=1")
    assert res.status_code == 301 and res["Location"] == "/api/docs/?x=1"


def test_a_wrong_verb_gets_the_405_envelope(api_client):
    res = api_client.delete("/api/v2/auth/me")
    assert res.status_code == 405
    assert res.json() == {"status": "failed", "code": 405, "message": "Method Not Allowed."}
    assert "GET" in res["Allow"] and "DELETE" not in res["Allow"]
    res = api_client.get("/api/v2/finance/credits")
    assert res.status_code == 405 and res.json()["message"] == "Method Not Allowed."


# `_method`


def test_method_override_reaches_put_patch_and_delete(api_client):
    res = api_client.post("/api/v2/test/items/7?_method=PUT", {"name": "n"}, format="json")
    assert res.status_code == 200 and res.json()["data"] == {"pk": 7, "method": "PUT", "body": "n"}
    res = api_client.post("/api/v2/test/items/7?_method=patch", {"name": "p"}, format="json")
    assert res.json()["data"] == {"pk": 7, "method": "PATCH", "body": "p"}
    res = api_client.post("/api/v2/test/items/7?_method=DELETE")
    assert res.json() == {"status": "OK", "code": 200, "message": "Deleted Successfully", "data": []}


def test_method_override_keeps_a_form_encoded_body(api_client):
    res = api_client.post("/api/v2/test/items/7?_method=PUT", {"name": "form"})
    assert res.json()["data"] == {"pk": 7, "method": "PUT", "body": "form"}


def test_method_override_never_changes_a_get(api_client):
    for verb in ("DELETE", "PUT", "POST"):
        res = api_client.get(f"/api/v2/test/items/7?_method={verb}")
        assert res.json()["data"]["method"] == "GET"


@pytest.mark.parametrize("verb", ["GET", "HEAD", "OPTIONS", "TRACE", "bogus", ""])
def test_method_override_only_turns_a_post_into_a_write_verb(api_client, verb):
    res = api_client.post(f"/api/v2/test/items/7?_method={verb}")
    assert res.status_code == 405  # still a POST, which the view does not offer


def test_method_override_needs_credentials_like_any_call(db):
    res = APIClient().post("/api/v2/test/items/7?_method=DELETE")
    assert res.status_code == 401


def test_method_override_is_limited_to_api_paths():
    seen = {}

    def view(request):
        seen["method"] = request.method
        return HttpResponse()

    middleware = MethodOverrideMiddleware(view)
    middleware(RequestFactory().post("/sms/senders?_method=DELETE"))
    assert seen["method"] == "POST"
    middleware(RequestFactory().post("/api/v2/sms/senders/1?_method=DELETE"))
    assert seen["method"] == "DELETE"


def test_an_unknown_object_and_an_unknown_path_say_the_same(api_client):
    """A missing object (Http404 from a view) and an unknown path answer the same 404 body."""
    missing = api_client.get("/api/v2/developer/webhooks/00000000-0000-0000-0000-000000000000")
    unknown = api_client.get("/api/v2/no/such/path")
    assert missing.status_code == unknown.status_code == 404
    assert missing.json() == unknown.json() == {"status": "failed", "code": 404, "message": "Not Found."}
