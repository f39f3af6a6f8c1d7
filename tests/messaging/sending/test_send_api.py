"""Contract and behaviour tests of sms/send, sms/send/json and sms/status."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms.sending import apply_dlr
from messaging.pipeline.models import Batch, Message, RefusedNumbers, State
from messaging.suppressions import services as suppressions
from portal.core.events.models import Event

SEND = "/api/v2/sms/send"
OTP = "Your OTP is 4821. Do not share it."


def send(api_client, capture, **params):
    body = {"sender": "ACMEIN", "service": "T", "message": OTP, "to": "919876543210", **params}
    with capture(execute=True):
        return api_client.post(SEND, body, format="json")


def test_a_send_is_accepted_paid_once_dispatched_and_delivered(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    res = send(api_client, django_capture_on_commit_callbacks, to="919876543210,+91 98765 43211", custom="ref-1")
    assert res.status_code == 200
    body = res.json()
    assert body["status"] == 200 and body["message"] == "2 numbers accepted for delivery."
    batch = Batch.objects.get(uuid=body["group_id"])
    item = body["data"][0]
    assert item == {
        **item,
        "id": f"{batch.uuid}:1",
        "mobile": "919876543210",
        "status": "AWAITING-DLR",
        "units": 1,
        "length": len(OTP),
        "charges": 0.25,
        "customid": "ref-1",
        "iso_code": "IN",
    }
    assert len(item["submitted_at"]) == 19
    debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT)
    assert debits.count() == 1 and debits.get().amount == Decimal("-0.5")
    assert credits.balance(account) == Decimal("99.5")
    # Eager Celery: dispatched to the simulator and its receipts applied.
    assert set(Message.objects.filter(batch=batch).values_list("state", "status")) == {(State.FINAL, "DELIVRD")}
    assert Event.objects.filter(account=account, type="sms:message:status").count() == 2
    status = api_client.get("/api/v2/sms/status", {"id": f"{batch.uuid}:2"}).json()
    assert status["status"] == "OK" and status["data"][0]["status"] == "DELIVRD"
    assert status["data"][0]["delivered_at"]


def test_the_legacy_get_send_works(api_client, sending_setup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.get(SEND, {"sender": "ACMEIN", "service": "T", "message": OTP, "to": "919876543210"})
    assert res.status_code == 200 and res.json()["message"] == "1 numbers accepted for delivery."


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"to": "12345"}, "INV-NUMBER"),
        ({"to": "447400123456"}, "NOTALLOWED"),
        ({"sender": "OTHERS"}, "INV-SENDER"),
        ({"message": "Totally different text here"}, "TEMPLATE-NOT-FOUND"),
        ({"message": "Your OTP is " + "9" * 31 + ". Do not share it."}, "DLT-TM-VAR-EXECEED"),
        ({"template_id": "999"}, "INV-TEMPLATE"),
    ],
)
def test_each_rule_rejects_with_its_status_and_charges_nothing(
    api_client, account, sending_setup, params, status, django_capture_on_commit_callbacks
):
    body = send(api_client, django_capture_on_commit_callbacks, **params).json()
    assert body["message"] == "0 numbers accepted for delivery."
    assert body["data"][0]["status"] == status and body["data"][0]["charges"] == 0
    assert credits.balance(account) == Decimal("100")
    if status in ("INV-NUMBER", "NOTALLOWED"):  # refused before pricing: no row, a compact record
        assert not Message.objects.filter(account=account).exists()
        assert RefusedNumbers.objects.get(account=account).status == status
    else:
        assert Message.objects.get(account=account).state == State.REJECTED
    pulled = api_client.get("/api/v2/sms/status", {"id": body["data"][0]["id"]}).json()["data"]
    assert [(r["status"], r["charges"], r["delivered_at"]) for r in pulled] == [(status, 0, "")]


def test_blocked_templates_and_unsubscribers_are_refused(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    suppressions.add_unsubscriber(account=account, data={"receiver": "919876543211"})
    data = send(api_client, django_capture_on_commit_callbacks, to="919876543210,919876543211").json()["data"]
    assert [d["status"] for d in data] == ["AWAITING-DLR", "OPTOUT-REJ"]
    suppressions.add_blocked_template(account=account, data={"template_id": "1107161521283358301"})
    data = send(api_client, django_capture_on_commit_callbacks, to="919876543212").json()["data"]
    assert data[0]["status"] == "DLT-TM-BLACKLST"


def test_the_repetition_rule(api_client, sending_setup, django_capture_on_commit_callbacks):
    first = send(api_client, django_capture_on_commit_callbacks, to="919876543210,919876543210").json()["data"]
    assert [d["status"] for d in first] == ["AWAITING-DLR", "DUPLICATE"]
    again = send(api_client, django_capture_on_commit_callbacks).json()["data"]
    assert again[0]["status"] == "DUPLICATE"


def test_an_unaffordable_send_is_refused_whole(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    credits.debit(account=account, amount="99.9", reason="drain")
    res = send(api_client, django_capture_on_commit_callbacks, to="919876543210")
    assert res.status_code == 422 and res.json()["message"] == "Insufficient credits."
    assert not Batch.objects.filter(account=account).exists() and not Message.objects.filter(account=account).exists()


def test_the_idempotency_key_returns_the_first_answer_and_charges_once(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = api_client.post(
            SEND,
            {"sender": "ACMEIN", "service": "T", "message": OTP, "to": "919876543210"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="abc",
        )
        second = api_client.post(
            SEND,
            {"sender": "ACMEIN", "service": "T", "message": OTP, "to": "919876543210"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="abc",
        )
    assert first.json() == second.json()
    assert credits.balance(account) == Decimal("99.75") and Batch.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sender": ""}, "sender"),
        ({"message": ""}, "message"),
        ({"to": ""}, "to"),
        ({"service": "ZZ"}, "service"),
        ({"type": "X"}, "type"),
        ({"max_units": "7"}, "max_units"),
        ({"time": "tomorrow"}, "time"),
        ({"time": "2000-01-01 10:00:00"}, "time"),
    ],
)
def test_request_errors_are_422(api_client, sending_setup, params, field, django_capture_on_commit_callbacks):
    res = send(api_client, django_capture_on_commit_callbacks, **params)
    assert res.status_code == 422 and field in res.json()["errors"]


def test_max_units_caps_parts_and_charges(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    long = "Hello " * 60  # 360 GSM characters: 3 parts
    data = send(
        api_client,
        django_capture_on_commit_callbacks,
        sender="AcmeUK",
        service="G",
        to="447400123456",
        message=long,
        max_units="2",
    ).json()["data"][0]
    assert data["units"] == 2 and data["length"] == 306 and data["charges"] == 4.0


def test_unicode_is_detected_and_counted(api_client, sending_setup, django_capture_on_commit_callbacks):
    data = send(
        api_client,
        django_capture_on_commit_callbacks,
        sender="AcmeUK",
        service="G",
        to="447400123456",
        message="नमस्ते " * 12,
    ).json()["data"][0]
    assert data["units"] == 2 and data["charges"] == 4.0


def test_a_scheduled_send_waits(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    at = (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    data = send(api_client, django_capture_on_commit_callbacks, time=at).json()["data"]
    assert data[0]["status"] == "SCHEDULED"
    assert Message.objects.get(account=account).state == State.SCHEDULED


def test_send_json_merges_root_and_nodes(api_client, account, sending_setup, django_capture_on_commit_callbacks):
    body = {
        "root": {"sender": "ACMEIN", "service": "T", "message": OTP, "name": "November"},
        "nodes": [
            {"to": "919876543210", "custom": "a"},
            {"to": "919876543211", "message": "Your OTP is 77. Do not share it.", "custom": "b"},
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post("/api/v2/sms/send/json", body, format="json")
    out = res.json()
    assert out["message"] == "2 numbers accepted for delivery." and "group_id" in out
    assert [d["customid"] for d in out["data"]] == ["a", "b"]
    assert Message.objects.get(account=account, custom="b").text == "Your OTP is 77. Do not share it."
    body["nodes"][0]["service"] = "P"
    del body["root"]["name"]
    res = api_client.post("/api/v2/sms/send/json", body, format="json")
    assert res.status_code == 422 and "nodes.0.service" in res.json()["errors"]
    body["nodes"][0].pop("service")
    with django_capture_on_commit_callbacks(execute=True):
        assert "group_id" not in api_client.post("/api/v2/sms/send/json", body, format="json").json()


def test_the_send_answer_is_the_bytes_drf_would_write(api_client, sending_setup, django_capture_on_commit_callbacks):
    """The per-recipient answer is encoded by orjson (portal.api.responses.large_json): the same
    bytes as DRF's JSON renderer, for accepted and refused recipients, text that needs escaping
    and destinations without an iso code."""
    import json

    from rest_framework.renderers import JSONRenderer

    body = {
        "root": {"sender": "ACMEIN", "service": "T", "message": OTP, "name": 'Ünïcode \u2028 "q"'},
        "nodes": [
            {"to": "919876543210", "custom": 'a"b\\c é ✓ \t'},
            {"to": "12<>&'\"x", "custom": "😀"},
            {"to": "447700900123"},
            {"to": "919876543210"},
        ],
    }
    classic = {**body["root"], "to": "919876543219,1"}
    for path, payload in (("/api/v2/sms/send/json", body), ("/api/v2/sms/send", classic)):
        with django_capture_on_commit_callbacks(execute=True):
            res = api_client.post(path, payload, format="json")
        assert res.status_code == 200 and res["Content-Type"] == "application/json"
        assert res.content == JSONRenderer().render(json.loads(res.content))
    assert {d["status"] for d in json.loads(res.content)["data"]} >= {"AWAITING-DLR", "INV-NUMBER"}


def test_dlrs_are_forward_only_and_idempotent(
    api_client, account, sending_setup, django_capture_on_commit_callbacks, settings
):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    send(api_client, django_capture_on_commit_callbacks)
    message = Message.objects.get(account=account)
    assert message.status == "DELIVRD"
    changed = apply_dlr(
        supplier=message.supplier, supplier_message_id=message.supplier_message_id, status="UNDELIV", code="034"
    )
    message.refresh_from_db()
    assert changed == 0 and message.status == "DELIVRD"
    assert Event.objects.filter(type="sms:message:status").count() == 1


def test_status_pull_by_mobile_cid_group_and_date(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    group = send(api_client, django_capture_on_commit_callbacks, custom="c-9").json()["group_id"]
    pull = api_client.get
    assert pull("/api/v2/sms/status", {"mobile": "+919876543210"}).json()["data"][0]["custom"] == "c-9"
    assert pull("/api/v2/sms/status", {"cid": "c-9"}).json()["data"][0]["sender"] == "ACMEIN"
    paged = pull("/api/v2/sms/status", {"group_id": group}).json()
    assert paged["meta"]["per_page"] == 100 and paged["meta"]["total"] == 1
    today = timezone.now().strftime("%Y-%m-%d")
    assert pull("/api/v2/sms/status", {"date": today}).json()["meta"]["total"] == 1
    assert pull("/api/v2/sms/status").status_code == 422
    assert pull("/api/v2/sms/status", {"id": "nonsense"}).json()["data"] == []


def test_another_account_cannot_see_my_messages(
    api_client, account, other_account, sending_setup, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from tests.factories import make_key

    group = send(api_client, django_capture_on_commit_callbacks).json()["group_id"]
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(other_account)[1]}")
    assert other.get("/api/v2/sms/status", {"group_id": group}).json()["data"] == []
    assert other.get("/api/v2/sms/status", {"id": f"{group}:1"}).json()["data"] == []


def test_promotional_traffic_respects_the_recipient_time_window(
    api_client, account, sending_setup, settings, django_capture_on_commit_callbacks
):
    from messaging.review import services as review
    from messaging.senders import services as registry

    promo = registry.create_sender(
        account=account,
        data={
            "name": "123456",
            "service": "P",
            "country_code": "IN",
            "entity_id": "1101234567890",
            "entity_name": "Acme",
        },
    )
    review.approve(item=promo)
    template = registry.create_template(
        account=account,
        data={
            "sender": promo.name,
            "name": "Sale",
            "type": "P",
            "template_id": "1107161521283358399",
            "body": "Big sale on {#var#} this weekend only",
        },
    )
    review.approve(item=template)
    settings.PROMO_WINDOW = "00:00-00:00"  # an empty window
    data = send(
        api_client,
        django_capture_on_commit_callbacks,
        sender="123456",
        service="P",
        message="Big sale on shoes this weekend only",
    ).json()["data"]
    assert data[0]["status"] == "PROMO-TMOUT"
    settings.PROMO_WINDOW = "00:00-24:00"  # the whole day
    data = send(
        api_client,
        django_capture_on_commit_callbacks,
        sender="123456",
        service="P",
        to="919876543219",
        message="Big sale on shoes this weekend only",
    ).json()["data"]
    assert data[0]["status"] == "AWAITING-DLR"


def test_the_status_summary_report(api_client, sending_setup, django_capture_on_commit_callbacks):
    from django.utils import timezone

    send(api_client, django_capture_on_commit_callbacks, to="919876543210,12345")
    today = timezone.now().date().isoformat()
    body = api_client.get("/api/v2/sms/report", {"daterange": f"{today}|{today}"}).json()
    assert body["status"] == 200 and body["message"] == "OK"
    assert body["data"][today] == {"date": today, "status": {"DELIVRD": 1, "INV-NUMBER": 1}}
    assert api_client.get("/api/v2/sms/report", {"daterange": "2020-01-01"}).status_code == 422
    assert api_client.get("/api/v2/sms/report", {"daterange": "2020-05-01|2020-01-01"}).status_code == 422


def test_rule_changes_reach_the_cached_send_rules_at_once(
    api_client, account, sending_setup, django_capture_on_commit_callbacks
):
    from messaging.pricing.services import save_price
    from messaging.review import services as review

    first = send(api_client, django_capture_on_commit_callbacks, to="919876543210").json()["data"][0]
    assert first["status"] == "AWAITING-DLR" and first["charges"] == 0.25  # rules now cached
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    assert send(api_client, django_capture_on_commit_callbacks, to="919876543211").json()["data"][0]["charges"] == 0.5
    review.reject(item=sending_setup["sender"], reason="Expired LOA")
    assert send(api_client, django_capture_on_commit_callbacks, to="919876543212").json()["data"][0]["status"] == (
        "INV-SENDER"
    )


def test_large_batches_store_every_character_as_sent(account, sending_setup):
    """Above 500 recipients messages are written with COPY in text format: tabs, newlines,
    backslashes and non-GSM text must come back exactly."""
    from unittest import mock

    from accounts.services import credits
    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing

    credits.top_up(account=account, amount="5000")
    text = "Tab\there, line\nbreak, back\\slash \\N and ünïcödé ✓"
    custom = "ref\t1\\x"
    with mock.patch("messaging.pipeline.submit.enqueue"):
        batch = services.submit(
            account=account,
            product_code="G",
            outgoing=[
                Outgoing(to=f"4474001{i:05d}", sender="AcmeUK", message=text, custom=custom, flash=i == 3)
                for i in range(600)
            ],
        ).batch
    rows = Message.objects.filter(batch=batch)
    assert rows.count() == 600
    assert set(rows.values_list("text", "custom")) == {(text, custom)}
    third = rows.get(index=4)
    assert third.flash is True and rows.filter(flash=True).count() == 1
    assert third.scheduled_at is None and third.submitted_at is not None and third.encoding == "ucs2"
    assert third.charges == third.price * third.units and third.mobile == "447400100003"


def test_nul_characters_are_refused_not_a_server_error(api_client, sending_setup):
    res = api_client.post(
        "/api/v2/sms/send",
        {"sender": "AcmeUK", "service": "G", "to": "447400123456", "message": "a\x00b"},
        format="json",
    )
    assert res.status_code == 422 and res.json()["errors"]["message"] == ["The message may not contain NUL characters."]
    res = api_client.post(
        "/api/v2/sms/send", {"sender": "AcmeUK", "service": "G", "to": "4474\x00001", "message": "Hi"}, format="json"
    )
    # One rule for every text field (portal.core.text): a number holding NUL is refused too.
    assert res.status_code == 422 and res.json()["errors"] == {"to": ["The to may not contain NUL characters."]}
    assert not Message.objects.exists()


def test_nul_in_other_fields_is_a_422(api_client, sending_setup):
    res = api_client.post(
        "/api/v2/sms/send",
        {"sender": "AcmeUK", "service": "G", "to": "447400123456", "message": "Hi", "custom": "x\x00"},
        format="json",
    )
    assert res.status_code == 422 and "custom" in res.json()["errors"]
