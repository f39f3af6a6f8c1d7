"""Recipients refused before pricing (no valid number, a destination not enabled) cost no message
row: a few compact RefusedNumbers rows per batch keep them, and everything that reads recipients
(the status pull by id, mobile, cid, group and date, the report, the batch page, Engage's list)
answers them as if they were rows, in batch and position order, beside the real rows."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.pipeline import outcomes
from messaging.pipeline.models import Batch, Message, RefusedNumbers
from messaging.pipeline.submit import message_time

SEND_JSON = "/api/v2/sms/send/json"
STATUS = "/api/v2/sms/status"
OTP = "Your OTP is 4821. Do not share it."


def number(i):
    """Position i's recipient: not a number, a UK number (T is priced for India only), or an
    Indian number that is accepted."""
    return (f"x{i:05d}", f"4474001{i:05d}", f"9198765{i:05d}")[i % 3]


EXPECTED = {0: "INV-NUMBER", 1: "NOTALLOWED", 2: "AWAITING-DLR"}


def send_mixed(api_client, count, *, custom=lambda i: f"c{i}"):
    nodes = [{"to": number(i), "custom": custom(i)} for i in range(1, count + 1)]
    body = {"root": {"sender": "ACMEIN", "service": "T", "message": OTP, "name": "mixed"}, "nodes": nodes}
    res = api_client.post(SEND_JSON, body, format="json")
    assert res.status_code == 200, res.content
    return res.json()


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(RefusedNumbers, "CHUNK", 50)


def test_refused_numbers_are_a_few_rows_and_the_answer_keeps_every_recipient(
    api_client, account, sending_setup, small_chunks
):
    answer = send_mixed(api_client, 300)
    batch = Batch.objects.get(uuid=answer["group_id"])
    assert answer["message"] == "100 numbers accepted for delivery."
    assert [item["status"] for item in answer["data"]] == [EXPECTED[i % 3] for i in range(1, 301)]
    assert [item["id"] for item in answer["data"]] == [f"{batch.uuid}:{i}" for i in range(1, 301)]
    assert (batch.total, batch.accepted) == (300, 100)
    # 100 message rows (the priced ones); 200 refused numbers in 4 rows of at most 50.
    assert Message.objects.filter(batch=batch).count() == 100
    rows = list(RefusedNumbers.objects.filter(batch=batch).order_by("status", "first_index"))
    assert [(r.status, r.count) for r in rows] == [("INV-NUMBER", 50), ("INV-NUMBER", 50)] + [("NOTALLOWED", 50)] * 2
    assert rows[0].indexes[:3] == [3, 6, 9] and rows[0].mobiles[:2] == ["x00003", "x00006"] and rows[0].isos == []
    assert rows[2].isos[:1] == ["GB"] and rows[2].customs[:2] == ["c1", "c4"]


def test_the_status_pull_answers_every_id_the_send_answered(api_client, account, sending_setup):
    answer = send_mixed(api_client, 30)
    for item in answer["data"]:
        record = api_client.get(STATUS, {"id": item["id"]}).json()["data"]
        assert len(record) == 1
        record = record[0]
        assert (record["id"], record["mobile"], record["status"]) == (item["id"], item["mobile"], item["status"])
        assert record["custom"] == item["customid"] and record["submitted_at"] == item["submitted_at"]
    refused = next(i for i in answer["data"] if i["status"] == "NOTALLOWED")
    record = api_client.get(STATUS, {"id": refused["id"]}).json()["data"][0]
    assert record == {
        "id": refused["id"],
        "mobile": refused["mobile"],
        "status": "NOTALLOWED",
        "units": 1,
        "service": "T",
        "length": len(OTP),
        "charges": 0.0,
        "custom": refused["customid"],
        "custom1": "",
        "location": "GB",
        "provider": "",
        "submitted_at": refused["submitted_at"],
        "delivered_at": "",
        "sender": "ACMEIN",
    }
    group = answer["group_id"]
    assert api_client.get(STATUS, {"id": f"{group}:31"}).json()["data"] == []
    assert api_client.get(STATUS, {"id": f"{group}:x"}).json()["data"] == []


def test_a_groups_pages_are_its_recipients_in_position_order(api_client, account, sending_setup, small_chunks):
    answer = send_mixed(api_client, 250)
    seen = []
    for page in (1, 2, 3):
        body = api_client.get(STATUS, {"group_id": answer["group_id"], "page": page}).json()
        assert body["meta"]["total"] == 250
        seen += [(r["id"], r["status"], r["mobile"]) for r in body["data"]]
    assert seen == [(i["id"], i["status"], i["mobile"]) for i in answer["data"]]
    body = api_client.get(STATUS, {"group_id": answer["group_id"], "per_page": 7, "page": 5}).json()
    assert [r["id"] for r in body["data"]] == [f"{answer['group_id']}:{i}" for i in range(29, 36)]


def test_mobile_and_cid_lookups_find_refused_numbers_in_order(api_client, account, sending_setup):
    first = send_mixed(api_client, 9, custom=lambda i: "same")
    second = send_mixed(api_client, 9, custom=lambda i: "same")
    by_cid = api_client.get(STATUS, {"cid": "same"}).json()["data"]
    assert [r["id"] for r in by_cid] == [i["id"] for i in first["data"] + second["data"]]
    uk = number(4)
    by_mobile = api_client.get(STATUS, {"mobile": uk}).json()["data"]
    assert [(r["mobile"], r["status"]) for r in by_mobile] == [(uk, "NOTALLOWED")] * 2
    assert [r["id"] for r in by_mobile] == [f"{first['group_id']}:4", f"{second['group_id']}:4"]


def test_lookups_stop_at_100_records_in_batch_order(api_client, account, sending_setup):
    numbers = ",".join(f"x{i}" for i in range(150))
    api_client.post(
        "/api/v2/sms/send", {"sender": "ACMEIN", "service": "T", "message": OTP, "to": numbers, "custom": "r"}
    )
    found = outcomes.matching(account, custom="r")
    assert len(found) == 100 and [r.index for r in found] == list(range(1, 101))


def test_a_days_pages_run_through_its_batches(api_client, account, sending_setup):
    first = send_mixed(api_client, 60)
    second = send_mixed(api_client, 60)
    today = timezone.localdate().isoformat()
    body = api_client.get(STATUS, {"date": today, "per_page": 50, "page": 2}).json()
    assert body["meta"]["total"] == 120
    expected = [i["id"] for i in first["data"] + second["data"]][50:100]
    assert [r["id"] for r in body["data"]] == expected
    assert api_client.get(STATUS, {"date": "2001-01-01"}).json()["data"] == []


def test_the_report_counts_refused_numbers(api_client, account, sending_setup):
    send_mixed(api_client, 30)
    today = timezone.localdate().isoformat()
    data = api_client.get("/api/v2/sms/report", {"daterange": f"{today}|{today}"}).json()["data"]
    assert data[today]["status"] == {"AWAITING-DLR": 10, "INV-NUMBER": 10, "NOTALLOWED": 10}


def test_the_batch_page_counts_and_pages_every_recipient(user_client, api_client, account, sending_setup):
    answer = send_mixed(api_client, 300)
    url = reverse("sending:batch_detail", args=[answer["group_id"]])
    page = user_client.get(url).content.decode()
    assert "INV-NUMBER: 100" in page and "NOTALLOWED: 100" in page and "AWAITING-DLR: 100" in page
    # 50 a page: the second page of NOTALLOWED holds its 51st to 100th (positions 151 to 298).
    page = user_client.get(url, {"status": "NOTALLOWED", "page": 2}).content.decode()
    assert number(151) in page and number(298) in page and number(148) not in page
    batch = Batch.objects.get(uuid=answer["group_id"])
    assert [r.index for r in outcomes.BatchRecipients(batch)[45:55]] == list(range(46, 56))


def test_a_status_held_by_rows_and_refused_numbers_pages_in_position_order(api_client, account, sending_setup):
    answer = send_mixed(api_client, 90)
    batch = Batch.objects.get(uuid=answer["group_id"])
    # A receipt can give a sent message a status a refusal also has (INV-NUMBER from the supplier).
    Message.objects.filter(batch=batch, index__in=[5, 50, 89]).update(status="INV-NUMBER")
    wanted = sorted([i for i in range(1, 91) if i % 3 == 0] + [5, 50, 89])
    recipients = outcomes.BatchRecipients(batch, "INV-NUMBER")
    assert recipients.count() == len(wanted) == 33
    for start, stop in [(0, 10), (10, 20), (15, 33), (30, 40), (32, 33)]:
        assert [r.index for r in recipients[start:stop]] == wanted[start:stop]
    assert outcomes.status_counts(batch)["INV-NUMBER"] == 33


def test_engage_lists_refused_numbers_newest_batch_first(api_client, account, sending_setup):
    body = {"type": "transactional", "from": "ACMEIN", "msg": OTP, "tiny": "0", "dlr": {"mask": "1"}}
    api_client.post("/notify", {**body, "to": ["x1", "919876500001"], "transactionID": "t1"}, format="json")
    api_client.post("/notify", {**body, "to": ["447400100002"], "transactionID": "t2"}, format="json")
    listed = api_client.get("/notify", {"page_size": 10}).json()
    assert listed["total"] == 3
    assert [(r["to"], r["status"], r["transactionID"]) for r in listed["data"]] == [
        ("447400100002", "NOTALLOWED", "t2"),
        ("x1", "INV-NUMBER", "t1"),
        ("919876500001", "AWAITING-DLR", "t1"),
    ]
    assert api_client.get("/notify", {"page_number": 1, "page_size": 2}).json()["data"][0]["to"] == "919876500001"


def test_a_refused_recipient_reads_like_a_message_row(account, sending_setup, api_client):
    answer = send_mixed(api_client, 3)
    batch = Batch.objects.get(uuid=answer["group_id"])
    refused = outcomes.find(account, batch.uuid, 1)
    assert (refused.public_id, refused.charges, refused.state, refused.delivered_at) == (
        f"{batch.uuid}:1",
        Decimal(0),
        "rejected",
        None,
    )
    assert message_time(refused.submitted_at) == answer["data"][0]["submitted_at"]
