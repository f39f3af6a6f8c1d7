"""The simulator connector end to end (virtual clock), pulse billing, credits reserved at the start
and settled exactly once, the sweeper after a crash, voice unsubscribers and calling hours."""

import json
import threading
from datetime import time
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import LedgerEntry
from accounts.services import credits
from messaging import consent
from portal.core.errors import ValidationFailed
from portal.core.events.models import Event
from voice.connectors import simulator
from voice.connectors.audio import rms
from voice.connectors.base import CallPlan
from voice.models import Call, CallStatus, Recording, VoicePrice, VoiceSettings
from voice.services import billing, calls, pricing, runner, storage, sweep
from voice.services.calls import max_call_seconds

from .conftest import BRIDGE


def _place(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        placed = calls.outgoing(**kwargs)
    return [Call.objects.get(pk=c.pk) for c in placed]


@pytest.mark.parametrize(
    ("seconds", "pulse", "billable"),
    [(0, 30, 0), (1, 30, 30), (30, 30, 30), (31, 30, 60), (59, 60, 60), (61, 60, 120), (125, 1, 125)],
)
def test_pulse_rounding(seconds, pulse, billable):
    assert pricing.billable_seconds(seconds, pulse) == billable
    assert pricing.charge(seconds, Decimal("0.60"), pulse) == (Decimal(billable) / 60 * Decimal("0.60")).quantize(
        Decimal("0.0001")
    )


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("919800000486", "BUSY", 486),
        ("919800000408", "NOANSWER", 408),
        ("919800000487", "CANCEL", 487),
        ("919800000503", "CONGESTION", 503),
        ("919800000404", "CHANUNAVAIL", 404),
        ("919800000001", "ANSWER", 200),
    ],
)
def test_the_simulator_behaves_by_the_dialled_number(number, status, code):
    outcome = simulator.run(CallPlan(id=1, uuid="u", to=number, bridge=BRIDGE, audio="https://x/y.wav"))
    assert (outcome.status, outcome.sip_code) == (status, code)
    assert (outcome.talk_seconds > 0) == (status == "ANSWER")


def test_a_flow_call_presses_digits_bridges_records_and_is_billed_per_leg(
    account, bridge, menu_flow, django_capture_on_commit_callbacks
):
    before = credits.balance(account)
    (call,) = _place(
        django_capture_on_commit_callbacks,
        account=account,
        bridge=BRIDGE,
        to="919800000001",  # presses "1": the menu bridges the agent
        flow_id=str(menu_flow.pk),
        variables={"Name": "Asha", "otp": "4321"},
        webhook_id="hook-1",
    )
    assert call.status == CallStatus.ANSWER and call.sip_code == 200
    assert call.dtmf == "1"
    price = VoicePrice.objects.get(iso="IN", account=None)
    talk = call.duration
    agent_leg = simulator.TALK_SECONDS
    expected = pricing.charge(talk, price.rate, price.pulse) + pricing.charge(agent_leg, price.rate, price.pulse)
    assert call.charges == expected
    assert call.billing == pricing.billable_seconds(talk, 30) + pricing.billable_seconds(agent_leg, 30)
    assert call.settled
    assert credits.balance(account) == before - expected  # reserved, then the rest came back
    entries = LedgerEntry.objects.filter(account=account).order_by("pk")
    assert [e.kind for e in entries][-2:] == ["debit", "refund"]
    (recording,) = Recording.objects.filter(call=call)
    assert rms(storage.absolute(recording.path).read_bytes()) > 1000  # a tone, not silence
    event = Event.objects.get(type="voice:message:out")
    assert event.webhook_id == "hook-1"
    assert event.payload["status"] == "ANSWER" and event.payload["source"] == "OBD"
    assert event.payload["duration"] == str(talk) and event.payload["recording_url"].startswith("http")


def test_a_call_whose_flow_bridges_reserves_for_both_legs(account, bridge, menu_flow):
    """The agent leg is billed too, so the reservation covers it: settlement never charges more
    than was reserved."""
    price = VoicePrice.objects.get(iso="IN", account=None)
    one_leg = pricing.reservation(price, max_call_seconds())
    (call,) = calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", flow_id=str(menu_flow.pk),
                             variables={"Name": "Asha", "otp": "4321"})  # fmt: skip
    assert calls.legs_of(menu_flow) == 2 and call.reserved == 2 * one_leg
    recipient = {"to": "919800000002", "variables": {"Name": "R", "otp": "1"}}
    _group, (group_call,), _skipped = calls.bulk(
        account=account, bridge=BRIDGE, flow_id=str(menu_flow.pk), payload=[recipient]
    )
    assert group_call.reserved == 2 * one_leg


def test_an_unanswered_call_costs_nothing(account, bridge, menu_flow, django_capture_on_commit_callbacks):
    before = credits.balance(account)
    (call,) = _place(
        django_capture_on_commit_callbacks,
        account=account,
        bridge=BRIDGE,
        to="919800000486",
        flow_id=menu_flow.pk,
        variables={"Name": "A", "otp": "1"},
    )
    assert call.status == "BUSY" and call.charges == 0 and call.settled
    assert credits.balance(account) == before


def test_settlement_happens_once_even_when_repeated_or_raced(account, bridge, django_capture_on_commit_callbacks):
    (call,) = _place(
        django_capture_on_commit_callbacks,
        account=account,
        bridge=BRIDGE,
        to="919800000001",
        audio="https://example.com/a.wav",
    )
    balance = credits.balance(account)
    assert billing.settle([call.pk]) == {}
    Call.objects.filter(pk=call.pk).update(settled=False)  # as if the flag had never been written
    first = billing.settle([call.pk])
    assert credits.balance(account) == balance + first[account.pk]
    assert billing.settle([call.pk]) == {}


@pytest.mark.django_db(transaction=True)
def test_concurrent_settles_refund_once(product_rows):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    from tests.factories import make_account
    from voice.models import NumberKind, VoiceNumber

    # Transactional tests flush the data migrations' rows: the default Indian price again.
    VoicePrice.objects.get_or_create(
        account=None,
        iso="IN",
        service="VOC",
        sub_service="VOI",
        defaults={"country_name": "India", "calling_code": 91, "rate": "0.3", "pulse": 30},
    )
    account, _ = make_account(credits_amount="100")
    VoiceNumber.objects.create(account=account, number=BRIDGE, kind=NumberKind.BRIDGE)
    # Autocommit: the call runs and settles at once; then its flag is cleared as if never written.
    (call,) = calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", audio="https://example.com/a.wav")
    call.refresh_from_db()
    assert call.settled
    Call.objects.filter(pk=call.pk).update(settled=False)
    balance = credits.balance(account)
    results = []

    def settle():
        results.append(billing.settle([call.pk]))
        connection.close()

    threads = [threading.Thread(target=settle) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r) == 1
    assert LedgerEntry.objects.filter(account=account, kind="refund").count() == 2  # the first and one more
    assert credits.balance(account) == balance + call.reserved - call.charges


def test_a_crash_mid_batch_writes_nothing_and_the_sweeper_finishes(
    account, bridge, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        (call,) = calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", audio="https://example.com/a.wav")
    reserved = credits.balance(account)

    def crash(ids):
        raise RuntimeError("worker died")

    monkeypatch.setattr(billing, "settle", crash)
    with pytest.raises(RuntimeError):
        runner.run_simulated([call.pk])
    call.refresh_from_db()
    assert call.status == CallStatus.IN_PROGRESS and not call.settled  # the CDR rolled back with the refund
    assert not Event.objects.filter(type="voice:message:out").exists()
    assert credits.balance(account) == reserved
    monkeypatch.undo()
    # Later than the longest call: the sweeper gives it a final CDR (no SIP journal: not charged).
    from datetime import timedelta

    from django.utils import timezone

    assert sweep.sweep(now=timezone.now() + timedelta(seconds=max_call_seconds() + 3 * sweep.GRACE)) == 1
    call.refresh_from_db()
    assert call.status == CallStatus.CONGESTION and call.settled and call.charges == 0
    assert credits.balance(account) == reserved + call.reserved
    assert sweep.sweep(now=timezone.now() + timedelta(hours=1)) == 0  # nothing twice


def test_the_sweeper_reads_the_sip_journal(account, bridge, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False):
        (call,) = calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", audio="https://example.com/a.wav")
    runner.claim([call.pk])
    storage.save(
        "journal",
        "worker-1.jsonl",
        json.dumps(
            {"uuid": str(call.uuid), "status": "ANSWER", "sip_code": 200, "ring_seconds": 2, "talk_seconds": 45}
        ).encode(),
    )
    sweep.sweep(now=timezone.now() + timedelta(hours=1))
    call.refresh_from_db()
    assert call.status == "ANSWER" and call.duration == 45 and call.billing == 60 and call.settled


def test_unsubscribed_numbers_are_refused_and_skipped_in_bulk(account, bridge, django_capture_on_commit_callbacks):
    consent.opt_out(account=account, channel="voice", receiver="919800000002")
    before = credits.balance(account)
    with pytest.raises(ValidationFailed) as exc:
        calls.outgoing(account=account, bridge=BRIDGE, to="919800000002", audio="https://example.com/a.wav")
    assert "unsubscribed" in exc.value.errors["to"][0]
    with django_capture_on_commit_callbacks(execute=True):
        group, placed, skipped = calls.bulk(
            account=account,
            bridge=BRIDGE,
            audio="https://example.com/a.wav",
            payload=[{"to": "919800000001"}, {"to": "919800000002"}, {"to": "919800000003"}],
        )
    assert skipped == {"919800000002"} and len(placed) == 2
    assert Call.objects.filter(group=group, status="ANSWER", settled=True).count() == 2
    spent = sum(c.charges for c in Call.objects.filter(group=group))
    assert credits.balance(account) == before - spent


def test_calling_hours(account, bridge):
    VoiceSettings.objects.create(account=account, calling_start=time(0, 0), calling_end=time(0, 1), timezone="UTC")
    account.refresh_from_db()
    with pytest.raises(ValidationFailed) as exc:
        calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", audio="https://example.com/a.wav")
    assert "Calls may be placed only between 00:00 and 00:01" in exc.value.errors["to"][0]
    assert not Call.objects.exists()


def test_insufficient_credit_places_nothing(account, bridge):
    credits.debit(account=account, amount=credits.balance(account), reason="empty")
    with pytest.raises(Exception, match="Insufficient"):
        calls.outgoing(account=account, bridge=BRIDGE, to="919800000001", audio="https://example.com/a.wav")
    assert not Call.objects.exists()


def test_click_to_call_bills_both_legs(account, bridge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call = calls.click_to_call(
            account=account, bridge=BRIDGE, call_from="919800000001", to="919800000002", record="1"
        )
    call.refresh_from_db()
    assert (call.status1, call.status2) == ("ANSWER", "ANSWER")
    assert call.duration2 == simulator.TALK_SECONDS
    assert call.charges == 2 * pricing.charge(simulator.TALK_SECONDS, Decimal("0.3"), 30)
    assert Recording.objects.filter(call=call).count() == 1
    payload = Event.objects.get(type="voice:message:out").payload
    assert payload["source"] == "C2C" and payload["status"] == "COMPLETED" and payload["billing"] == "20"


def test_a_retry_waits_in_the_table_until_due(account, bridge, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        (call,) = calls.outgoing(
            account=account, bridge=BRIDGE, to="919800000486", audio="https://example.com/a.wav", interval=5
        )
    call.refresh_from_db()
    assert call.status == "BUSY"
    retry = Call.objects.get(attempt=1)
    assert retry.status == "queued" and retry.due_at > timezone.now() + timedelta(minutes=4)
    sweep.sweep()
    retry.refresh_from_db()
    assert retry.status == "queued"  # not due yet
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep(now=timezone.now() + timedelta(minutes=6))
    retry.refresh_from_db()
    assert retry.status == "BUSY" and retry.settled
    assert not Call.objects.filter(attempt=2).exists()  # one retry only
