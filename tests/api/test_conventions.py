"""The shared v2 conventions: envelope, pagination, errors, `_method`, unknown paths."""

import pytest

from accounts.models import AuditEvent

pytestmark = pytest.mark.urls("tests.api.urls_for_tests")


@pytest.fixture
def events(account):
    AuditEvent.objects.filter(account=account).delete()
    AuditEvent.objects.bulk_create(AuditEvent(account=account, action=f"test.{i}") for i in range(40))
    return list(AuditEvent.objects.filter(account=account).order_by("id"))


def test_a_list_has_the_envelope_links_and_meta(api_client, events):
    body = api_client.get("/api/v2/test/events").json()
    assert list(body) == ["status", "code", "message", "data", "links", "meta"]
    assert body["status"] == "OK" and body["code"] == 200 and body["message"] == "Events List"
    assert len(body["data"]) == 15
    assert body["links"] == {
        "first": "http://testserver/api/v2/test/events?page=1",
        "last": "http://testserver/api/v2/test/events?page=3",
        "prev": None,
        "next": "http://testserver/api/v2/test/events?page=2",
    }
    meta = body["meta"]
    assert {k: meta[k] for k in ("current_page", "from", "last_page", "path", "per_page", "to", "total")} == {
        "current_page": 1,
        "from": 1,
        "last_page": 3,
        "path": "http://testserver/api/v2/test/events",
        "per_page": 15,
        "to": 15,
        "total": 40,
    }
    labels = [link["label"] for link in meta["links"]]
    assert labels == ["&laquo; Previous", "1", "2", "3", "Next &raquo;"]
    assert [link["active"] for link in meta["links"]] == [False, True, False, False, False]
    assert meta["links"][0]["url"] is None


def test_the_last_page_and_per_page(api_client, events):
    body = api_client.get("/api/v2/test/events?page=3").json()
    assert [row["id"] for row in body["data"]] == [e.pk for e in events[30:]]
    assert body["meta"]["from"] == 31 and body["meta"]["to"] == 40
    assert body["links"]["next"] is None
    assert body["links"]["prev"] == "http://testserver/api/v2/test/events?page=2"
    body = api_client.get("/api/v2/test/events?per_page=25&page=2").json()
    assert body["meta"]["per_page"] == 25 and len(body["data"]) == 15
    assert body["links"]["first"] == "http://testserver/api/v2/test/events?per_page=25&page=1"


def test_a_page_past_the_end_is_empty(api_client, events):
    body = api_client.get("/api/v2/test/events?page=9").json()
    assert body["data"] == []
    assert body["meta"]["from"] is None and body["meta"]["to"] is None
    assert body["meta"]["current_page"] == 9 and body["meta"]["total"] == 40


def test_an_empty_list(api_client, account):
    AuditEvent.objects.filter(account=account).delete()
    body = api_client.get("/api/v2/test/events").json()
    assert body["data"] == [] and body["meta"]["total"] == 0 and body["meta"]["last_page"] == 1


@pytest.mark.parametrize("query", ["page=abc", "page=0", "per_page=-1"])
def test_invalid_paging_parameters_are_422(api_client, events, query):
    res = api_client.get(f"/api/v2/test/events?{query}")
    assert res.status_code == 422
    assert res.json()["status"] == "failed"


def test_the_access_token_is_never_copied_into_links(api_key_and_secret, events):
    from rest_framework.test import APIClient

    secret = api_key_and_secret[1]
    body = APIClient().get(f"/api/v2/test/events?access_token={secret}&filter[x]=1").json()
    text = str(body["links"]) + str(body["meta"])
    assert secret not in text
    assert "filter%5Bx%5D=1" in body["links"]["next"]


def test_many_pages_are_windowed(api_client, account):
    AuditEvent.objects.bulk_create(AuditEvent(account=account, action="x") for _ in range(300))
    body = api_client.get("/api/v2/test/events?page=10").json()
    labels = [link["label"] for link in body["meta"]["links"]]
    assert labels[:4] == ["&laquo; Previous", "1", "2", "..."]
    assert "10" in labels and labels[-2] == str(body["meta"]["last_page"])
    assert labels.count("...") == 2


def test_validation_errors_use_the_422_shape(api_client):
    res = api_client.post("/api/v2/test/strict", {"count": 0, "nodes": [{"to": "1"}, {"to": ["x"]}]}, format="json")
    assert res.status_code == 422
    body = res.json()
    assert body["status"] == "failed" and body["code"] == 422
    assert body["message"] == body["errors"]["name"][0] == "This field is required."
    assert body["errors"]["count"] == ["Ensure this value is greater than or equal to 1."]
    assert "nodes.1.to" in body["errors"]


def test_method_override_reaches_put_and_delete(api_client):
    res = api_client.post("/api/v2/test/items/7?_method=PUT", {"name": "n"}, format="json")
    assert res.status_code == 200 and res.json()["data"] == {"pk": 7, "method": "PUT", "body": "n"}
    res = api_client.post("/api/v2/test/items/7?_method=DELETE")
    assert res.json() == {"status": "OK", "code": 200, "message": "Deleted Successfully", "data": []}


def test_method_override_never_changes_a_get(api_client):
    res = api_client.get("/api/v2/test/items/7?_method=DELETE")
    assert res.json()["data"]["method"] == "GET"


def test_unknown_api_paths_get_the_404_envelope(api_client):
    res = api_client.get("/api/v2/no/such/thing")
    assert res.status_code == 404
    assert res.json() == {"status": "failed", "code": 404, "message": "Not Found."}


def test_a_wrong_verb_gets_the_405_envelope(api_client):
    res = api_client.delete("/api/v2/auth/me")
    assert res.status_code == 405
    assert res.json()["status"] == "failed" and res.json()["code"] == 405
