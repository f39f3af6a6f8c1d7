"""Engage `tiny`: URLs in the text become short links; a click redirects, counts and calls back."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.links import services
from messaging.links.models import Link, Visit
from messaging.pipeline.models import Message
from portal.core.events.models import Event

URL = "/v1/messaging/sms"


def push(**over):
    return {
        "type": "promotional",
        "from": "ACMEPR",
        "transactionID": "tx-tiny",
        "to": "447400123456",
        "msg": "Sale ends soon: https://shop.example.com/summer?utm_source=sms&id=12345. Reply STOP to opt out",
        "tiny": "1",
        "dlr": {"mask": 1, "url": "https://client.example/dlr"},
        **over,
    }


def test_shorten_replaces_each_url_once_and_keeps_punctuation(settings):
    settings.SHORT_URL_BASE = "https://s.example"
    text, pairs = services.shorten("See https://a.example/x, and (https://a.example/x) or http://b.example/long/path.")
    assert [url for _, url in pairs] == ["https://a.example/x", "http://b.example/long/path"]
    first, second = (code for code, _ in pairs)
    assert text == f"See https://s.example/{first}, and (https://s.example/{first}) or https://s.example/{second}."
    assert all(len(code) == services.CODE_LENGTH and code.isalnum() for code, _ in pairs)


def test_shorten_leaves_text_without_urls_and_existing_short_links(settings):
    settings.SHORT_URL_BASE = "https://s.example"
    assert services.shorten("No links here") == ("No links here", [])
    assert services.shorten("Already https://s.example/AbC1234") == ("Already https://s.example/AbC1234", [])


@given(st.lists(st.sampled_from(["https://x.example/", "https://x.example/a", "http://y.example/a/b", "word", " "])))
def test_every_url_is_replaced_and_nothing_else_changes(parts):
    text = " ".join(parts)
    short, pairs = services.shorten(text)
    assert not any(url in short.split() for _, url in pairs)
    restored = short
    for code, url in pairs:
        restored = restored.replace(services.short_url(code), url)
    assert restored == text


def test_a_tiny_push_sends_the_short_text_and_saves_its_link(
    api_client, account, sending_setup, settings, django_capture_on_commit_callbacks
):
    settings.SHORT_URL_BASE = "https://s.example"
    body = push(type="transactional", **{"from": "AcmeUK"})
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(URL, body, format="json")
    assert res.status_code == 200, res.content
    message = Message.objects.get(account=account)
    link = Link.objects.get(account=account)
    assert message.text.startswith(f"Sale ends soon: https://s.example/{link.code}. Reply STOP")
    assert link.long_url == "https://shop.example.com/summer?utm_source=sms&id=12345"
    assert (link.batch, link.message_index, link.mobile) == (message.batch, 1, "447400123456")
    assert link.callback_url == "https://client.example/dlr"
    # Charged for the shortened text: one part instead of what the long URL would need.
    assert message.units == 1 and message.length == len(message.text)


def test_a_replayed_tiny_push_saves_no_second_link(api_client, account, sending_setup):
    body = push(type="transactional", **{"from": "AcmeUK"})
    first = api_client.post(URL, body, format="json").json()
    again = api_client.post(URL, body, format="json").json()
    assert first == again and Link.objects.filter(account=account).count() == 1


def test_a_refused_tiny_push_leaves_no_link(api_client, account, sending_setup):
    res = api_client.post(URL, push(type="transactional", **{"from": "NOTMINE"}), format="json")
    assert res.status_code == 422 and not Link.objects.exists()


def test_notify_with_tiny_shares_one_link_per_url(api_client, account, sending_setup):
    body = push(type="transactional", to=["447400123456", "447400123457"], transactionID="bulk", **{"from": "AcmeUK"})
    res = api_client.post("/notify", body, format="json")
    assert res.status_code == 200 and res.json()["accepted"] == 2
    link = Link.objects.get(account=account)
    assert link.message_index is None and link.mobile == ""
    assert {m.text for m in Message.objects.filter(account=account)} == {
        f"Sale ends soon: {services.short_url(link.code)}. Reply STOP to opt out"
    }


def test_a_click_redirects_counts_and_calls_back(client, api_client, account, sending_setup):
    api_client.post(URL, push(type="transactional", **{"from": "AcmeUK"}), format="json")
    link = Link.objects.get(account=account)
    agent = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    res = client.get(f"/s/{link.code}", HTTP_USER_AGENT=agent)
    assert res.status_code == 302 and res["Location"] == link.long_url
    assert res["Cache-Control"] == "no-store"
    link.refresh_from_db()
    assert link.visits == 1 and link.last_visited is not None
    visit = Visit.objects.get(link=link)
    assert (visit.browser, visit.platform, visit.device_type) == ("Chrome", "Android", "smartphone")
    event = Event.objects.get(account=account, type="link:visit")
    assert event.callback_url == "https://client.example/dlr"
    payload = event.payload
    assert payload["id"] == str(visit.uuid) and payload["link_id"] == link.pk
    assert payload["message_id"] == f"{link.batch.uuid}:1" and payload["mobile"] == "447400123456"
    assert payload["transactionID"] == "tx-tiny" and payload["long_url"] == link.long_url


def test_head_redirects_without_counting(client, account):
    link = Link.objects.create(account=account, code="AbCdEf1", long_url="https://shop.example/")
    res = client.head(f"/s/{link.code}")
    assert res.status_code == 302
    link.refresh_from_db()
    assert link.visits == 0 and not Visit.objects.exists()


def test_unknown_or_inactive_links_are_404(client, account):
    Link.objects.create(account=account, code="Off0000", long_url="https://shop.example/", is_active=False)
    assert client.get("/s/Nope123").status_code == 404
    assert client.get("/s/Off0000").status_code == 404
    assert client.post("/s/Off0000").status_code == 405


def test_a_link_without_callback_or_webhook_emits_nothing(client, account):
    link = Link.objects.create(account=account, code="Quiet00", long_url="https://shop.example/")
    client.get(f"/s/{link.code}")
    assert not Event.objects.filter(type="link:visit").exists()


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1",
            ("Safari", "iOS", "smartphone"),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0",
            ("Edge", "Windows", "desktop"),
        ),
        ("WhatsApp/2.23.20.0", ("", "", "bot")),
        ("", ("", "", "")),
    ],
)
def test_user_agents_are_described_coarsely(agent, expected):
    assert services.describe_agent(agent) == expected


def test_a_click_becomes_a_delivery_to_the_sends_dlr_url(client, api_client, account, sending_setup):
    from messaging.webhooks.models import Delivery
    from messaging.webhooks.routing import fan_out

    api_client.post(URL, push(type="transactional", **{"from": "AcmeUK"}), format="json")
    link = Link.objects.get(account=account)
    client.get(f"/s/{link.code}")
    fan_out()
    delivery = Delivery.objects.get(account=account, event_type="link:visit")
    assert delivery.url == "https://client.example/dlr" and delivery.wrapped is False
