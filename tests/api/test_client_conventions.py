"""Where published clients put things, generically: the key (header without scheme, query, form,
multipart or JSON body), the trailing slash, parameters of a write in the query string."""

import pytest
from django.http import QueryDict
from rest_framework.test import APIClient

from accounts.services import credits
from portal.api.request import overlay
from tests.api.helpers import assert_unauthenticated
from tests.factories import make_account, make_key

ME = "/api/v2/auth/me"
CREDITS = "/api/v2/finance/credits"


@pytest.fixture
def reseller(db):
    parent, _ = make_account(credits_amount="10", is_reseller=True)
    child, _ = make_account(parent=parent)
    return parent, child, make_key(parent)[1]


@pytest.mark.parametrize("form", ["json", "multipart"])
def test_the_key_may_travel_inside_the_body(reseller, form):
    parent, child, secret = reseller
    res = APIClient().post(CREDITS, {"access_token": secret, "username": child.username, "credits": "1"}, format=form)
    assert res.status_code == 200, res.content


def test_the_key_inside_a_urlencoded_form(reseller):
    parent, child, secret = reseller
    body = f"access_token={secret}&username={child.username}&credits=1"
    res = APIClient().generic("POST", CREDITS, body, content_type="application/x-www-form-urlencoded")
    assert res.status_code == 200


def test_a_wrong_key_in_the_body_is_a_401(reseller):
    _, child, _ = reseller
    assert_unauthenticated(
        APIClient().post(CREDITS, {"access_token": "nope", "username": child.username}, format="json")
    )


def test_a_header_key_wins_over_one_in_the_body(reseller, other_account):
    parent, child, secret = reseller
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(other_account)[1]}")
    res = client.post(CREDITS, {"access_token": secret, "username": child.username, "credits": "1"}, format="json")
    assert res.status_code == 403  # the header's account is no reseller: the body's key was not used


def test_an_unreadable_body_without_another_credential_is_the_400(db):
    res = APIClient().generic("POST", CREDITS, '{"access_token": "x",', content_type="application/json")
    assert res.status_code == 400
    assert res.json()["status"] == "failed" and res.json()["message"].startswith("JSON parse error")


def test_get_reads_no_body_for_a_key(api_key_and_secret):
    res = APIClient().generic(
        "GET", ME, f'{{"access_token": "{api_key_and_secret[1]}"}}', content_type="application/json"
    )
    assert_unauthenticated(res)


# Trailing slashes


@pytest.mark.parametrize("path", ["/api/v2/auth/me/", "/api/v3/auth/token/generate/"])
def test_a_path_with_a_trailing_slash_answers_in_place(api_client, path):
    assert api_client.get(path).status_code == 200


def test_a_post_with_a_trailing_slash_keeps_its_body(reseller):
    parent, child, secret = reseller
    res = APIClient().post(f"{CREDITS}/?access_token={secret}", {"username": child.username, "credits": "2"})
    assert res.status_code == 200 and res.json()["message"] == "Balance added Successfully"


def test_unknown_paths_stay_404_with_or_without_a_slash(api_client):
    for path in ("/api/v2/nothing", "/api/v2/nothing/", "/api/v2/auth/me//", "/api/v2/sms/send//x"):
        res = api_client.get(path)
        assert res.status_code == 404 and res.json()["message"] == "Not Found.", path


def test_the_docs_page_still_redirects_to_its_canonical_path(client):
    res = client.get("/api/docs")
    assert res.status_code == 301 and res["Location"] == "/api/docs/"


# Parameters of a write in the query string


def test_a_post_with_its_parameters_only_in_the_query_string(reseller):
    parent, child, secret = reseller
    res = APIClient().post(f"{CREDITS}?access_token={secret}&username={child.username}&credits=3")
    assert res.status_code == 200
    assert credits.balance(child) == 3


@pytest.mark.parametrize("form", ["json", "multipart"])
def test_body_values_win_over_the_query_string(reseller, form):
    parent, child, secret = reseller
    res = APIClient().post(
        f"{CREDITS}?access_token={secret}&username=someone-else&credits=9",
        {"username": child.username, "credits": "1"},
        format=form,
    )
    assert res.status_code == 200
    assert credits.balance(child) == 1


def test_the_key_and_the_verb_override_never_become_fields():
    query = QueryDict("access_token=k&_method=PUT&a=1&a=2&b=q")
    merged = overlay(query, QueryDict("b=body"))
    assert sorted(merged) == ["a", "b"] and merged.getlist("a") == ["1", "2"] and merged["b"] == "body"
    assert overlay(query, {"b": 2}) == {"a": "2", "b": 2}  # a JSON object: the last query value
    assert overlay(query, [1, 2]) == [1, 2]  # not an object: left alone
