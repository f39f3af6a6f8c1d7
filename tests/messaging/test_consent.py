"""messaging.consent: opt-out, opt-in and the suppression checks, for every scope and channel."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent
from messaging import consent
from messaging.suppressions.models import Unsubscriber
from portal.core.errors import DomainError, ValidationFailed
from portal.core.events.models import Event

NUMBER = "919876543210"
OTHER = "919876543211"
CHANNELS = ["sms", "whatsapp", "rcs", "viber", "voice"]


def opt_out(account, receiver=NUMBER, channel="sms", **kwargs):
    return consent.opt_out(account=account, channel=channel, receiver=receiver, **kwargs)


def opt_in(account, receiver=NUMBER, channel="sms", **kwargs):
    return consent.opt_in(account=account, channel=channel, receiver=receiver, **kwargs)


def test_the_constants_contacts_needs_are_re_exported():
    assert consent.ALL_VALUE == "*"
    assert consent.ScopeType.ALL == "all" and consent.ScopeType.PRODUCT == "product"
    assert {value for value, _ in consent.MESSAGE_CHANNELS} == set(CHANNELS) == consent.CHANNELS


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_opt_out_counts_on_its_own_channel_only_and_emits_that_channels_event(account, channel):
    entry = opt_out(account, "+91 98765-43210", channel=channel)
    assert (entry.channel, entry.receiver, entry.iso, entry.type, entry.value) == (channel, NUMBER, "IN", "all", "*")
    assert consent.is_suppressed(account, channel, NUMBER, product_code="T", sender="ANY", tags=["x"])
    assert consent.suppressed_set(account, channel, [NUMBER, OTHER]) == {NUMBER}
    for other in set(CHANNELS) - {channel}:
        assert not consent.is_suppressed(account, other, NUMBER)
        assert consent.suppressed_set(account, other, [NUMBER]) == set()
    event = Event.objects.get(account=account)
    assert event.type == f"{channel}:unsubscription" and event.identity == f"number:{NUMBER}"
    assert event.payload == {
        **event.payload,
        "event": f"{channel}:unsubscription",
        "id": str(entry.uuid),
        "receiver": NUMBER,
        "iso": "IN",
        "type": "all",
        "value": "*",
        "status": "Unsubscriber created successfully",
    }


def test_a_service_opt_out_counts_for_that_service_code_only(account):
    entry = opt_out(account, scope="service", value="p")  # "service" is the synonym of "product"
    assert (entry.type, entry.value) == ("product", "P")
    assert consent.is_suppressed(account, "sms", NUMBER, product_code="P")
    assert consent.is_suppressed(account, "sms", NUMBER, product_code="p")
    assert not consent.is_suppressed(account, "sms", NUMBER, product_code="T")
    assert not consent.is_suppressed(account, "sms", NUMBER)
    assert consent.suppressed_set(account, "sms", [NUMBER], product_code="T") == set()


def test_a_sender_opt_out_counts_for_that_sender_in_any_case(account):
    opt_out(account, scope="sender", value="AcmeIn")
    assert consent.is_suppressed(account, "sms", NUMBER, sender="ACMEIN")
    assert consent.suppressed_set(account, "sms", [NUMBER], sender="acmein") == {NUMBER}
    assert not consent.is_suppressed(account, "sms", NUMBER, sender="OTHERS")
    assert not consent.is_suppressed(account, "sms", NUMBER, product_code="P")


def test_a_tag_opt_out_counts_when_the_send_carries_the_tag(account):
    opt_out(account, scope="tag", value="promo")
    assert consent.is_suppressed(account, "sms", NUMBER, tags=["news", "promo"])
    assert consent.suppressed_set(account, "sms", [NUMBER], tags=("promo",)) == {NUMBER}
    assert not consent.is_suppressed(account, "sms", NUMBER, tags=["news"])
    assert not consent.is_suppressed(account, "sms", NUMBER)


def test_repeating_an_opt_out_returns_the_same_entry_without_a_second_event(account):
    first = opt_out(account)
    again = opt_out(account, "0091 98765 43210")
    assert again.pk == first.pk
    assert Unsubscriber.objects.filter(account=account).count() == 1
    assert Event.objects.filter(account=account, type="sms:unsubscription").count() == 1
    assert AuditEvent.objects.filter(account=account, action="unsubscriber.added").count() == 1
    # Another scope for the same number is another consent.
    assert opt_out(account, scope="tag", value="promo").pk != first.pk


def test_opt_in_lifts_that_scope_only_and_repeating_it_is_harmless(account):
    opt_out(account)
    opt_out(account, scope="tag", value="promo")
    opt_out(account, channel="whatsapp")
    assert opt_in(account, "+919876543210") == 1
    assert not consent.is_suppressed(account, "sms", NUMBER)
    assert consent.is_suppressed(account, "sms", NUMBER, tags=["promo"])  # the scoped opt-out stays
    assert consent.is_suppressed(account, "whatsapp", NUMBER)  # and so does the other channel's
    assert opt_in(account) == 0
    assert AuditEvent.objects.filter(account=account, action="unsubscriber.deleted").count() == 1
    assert opt_in(account, scope="tag", value="promo") == 1
    assert not consent.is_suppressed(account, "sms", NUMBER, tags=["promo"])
    # Opting out again after an opt-in records a new opt-out (and its event).
    opt_out(account)
    assert Event.objects.filter(account=account, type="sms:unsubscription").count() == 3


def test_opt_in_lifts_an_entry_whose_number_no_longer_validates(account):
    # Imported under older numbering data: 8-15 digits but not a valid number today.
    Unsubscriber.objects.create(account=account, channel="sms", receiver="99912345678")
    assert opt_in(account, "99912345678") == 1
    with pytest.raises(ValidationFailed):
        opt_out(account, "99912345678")


def test_the_bulk_set_equals_the_single_check_on_a_mixed_list(account, other_account):
    numbers = [f"9198765432{i:02d}" for i in range(12)]
    opt_out(account, numbers[0])
    opt_out(account, numbers[1], scope="product", value="P")
    opt_out(account, numbers[2], scope="sender", value="ACMEIN")
    opt_out(account, numbers[3], scope="tag", value="vip")
    opt_out(account, numbers[4], scope="tag", value="promo")
    opt_out(account, numbers[5], channel="whatsapp")
    opt_out(account, numbers[6], channel="viber", scope="sender", value="acmein")
    opt_out(other_account, numbers[7])
    opt_out(other_account, numbers[8], scope="tag", value="vip")
    asked = [*numbers, numbers[0], numbers[3], "447400123456"]  # duplicates and a number never listed
    combos = [
        {},
        {"product_code": "P"},
        {"product_code": "t", "sender": "acmein"},
        {"sender": "OTHERS", "tags": ["vip"]},
        {"product_code": "P", "sender": "ACMEIN", "tags": ["vip", "promo"]},
    ]
    seen = set()
    for channel in ("sms", "whatsapp", "viber"):
        for combo in combos:
            single = {n for n in asked if consent.is_suppressed(account, channel, n, **combo)}
            assert consent.suppressed_set(account, channel, asked, **combo) == single, (channel, combo)
            seen |= single
    assert seen == set(numbers[:7])


def test_the_bulk_set_runs_one_query_per_10000_numbers_and_reads_a_smaller_list_once(account):
    small = [f"9198{i:08d}" for i in range(10_000)]
    opt_out(account, NUMBER)
    with CaptureQueriesContext(connection) as ctx:
        assert consent.suppressed_set(account, "sms", [*small[1:], NUMBER]) == {NUMBER}
    assert len(ctx.captured_queries) == 1
    big = [f"9197{i:08d}" for i in range(10_000)] + [NUMBER]
    with CaptureQueriesContext(connection) as ctx:
        assert consent.suppressed_set(account, "sms", big) == {NUMBER}
    assert len(ctx.captured_queries) == 2  # the list's size, then the list
    # A list longer than the send: one query per 10,000 numbers after the size.
    Unsubscriber.objects.bulk_create(
        Unsubscriber(account=account, channel="sms", receiver=f"9196{i:08d}") for i in range(10_001)
    )
    with CaptureQueriesContext(connection) as ctx:
        assert consent.suppressed_set(account, "sms", big) == {NUMBER}
    assert len(ctx.captured_queries) == 1 + 2


def test_the_event_is_written_in_the_opt_outs_transaction(account, monkeypatch):
    with transaction.atomic():
        opt_out(account)
        assert Event.objects.filter(account=account, type="sms:unsubscription").exists()
        transaction.set_rollback(True)
    assert not Unsubscriber.objects.filter(account=account).exists()
    assert not Event.objects.filter(account=account).exists()

    # A failure after the event (here: the audit entry) takes the entry and the event back with it.
    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(consent.audit, "record", broken)
    with pytest.raises(RuntimeError):
        opt_out(account)
    assert not Unsubscriber.objects.filter(account=account).exists()
    assert not Event.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"receiver": ""}, "receiver"),
        ({"receiver": None}, "receiver"),
        ({"receiver": "12"}, "receiver"),
        ({"receiver": "not-a-number"}, "receiver"),
        ({"receiver": "99912345678"}, "receiver"),
        ({"scope": "everyone"}, "type"),
        ({"scope": "tag"}, "value"),
        ({"scope": "sender", "value": "   "}, "value"),
        ({"scope": "tag", "value": "x" * 101}, "value"),
        ({"channel": "email"}, "channel"),
        ({"channel": "numbers"}, "channel"),
        ({"channel": ""}, "channel"),
    ],
)
def test_bad_input_raises_validation_failed_on_the_field(account, kwargs, field):
    arguments = {"receiver": NUMBER, "channel": "sms", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        consent.opt_out(account=account, **arguments)
    assert field in exc.value.errors and isinstance(exc.value, DomainError)
    if field != "receiver" or kwargs["receiver"] != "99912345678":  # opt-in accepts a stored number's shape
        with pytest.raises(ValidationFailed) as exc:
            consent.opt_in(account=account, **arguments)
        assert field in exc.value.errors
    assert not Unsubscriber.objects.exists() and not Event.objects.exists()


def test_the_checks_refuse_an_unknown_channel(account):
    with pytest.raises(ValidationFailed) as exc:
        consent.suppressed_set(account, "fax", [NUMBER])
    assert "channel" in exc.value.errors
    with pytest.raises(ValidationFailed):
        consent.is_suppressed(account, "email", NUMBER)
    assert consent.is_suppressed(account, "SMS", NUMBER) is False  # channel names are case-insensitive


def test_changes_are_keyword_only(account):
    with pytest.raises(TypeError):
        consent.opt_out(account, "sms", NUMBER)
    with pytest.raises(TypeError):
        consent.opt_in(account, "sms", NUMBER)


def test_another_accounts_opt_outs_never_count_and_are_never_touched(account, other_account):
    theirs = opt_out(other_account)
    opt_out(other_account, OTHER, scope="sender", value="ACMEIN")
    assert not consent.is_suppressed(account, "sms", NUMBER)
    assert consent.suppressed_set(account, "sms", [NUMBER, OTHER], sender="ACMEIN") == set()
    assert opt_in(account) == 0
    assert consent.clear_opt_outs(account=account, channel="sms") == 0
    assert Unsubscriber.objects.filter(account=other_account).count() == 2
    # Mine are mine: the same number opted out here is a separate entry.
    mine = opt_out(account)
    assert mine.pk != theirs.pk and consent.suppressed_set(account, "sms", [NUMBER, OTHER]) == {NUMBER}
    assert Event.objects.filter(account=account).count() == 1


def test_edit_changes_number_and_scope_and_refuses_a_duplicate(account):
    entry = opt_out(account)
    other = opt_out(account, OTHER, scope="tag", value="vip")
    edited = consent.edit_opt_out(entry=entry, receiver="+44 7400 123456", scope="service", value="p")
    assert (edited.receiver, edited.iso, edited.type, edited.value) == ("447400123456", "GB", "product", "P")
    assert consent.is_suppressed(account, "sms", "447400123456", product_code="P")
    assert not consent.is_suppressed(account, "sms", NUMBER, product_code="P")
    with pytest.raises(ValidationFailed) as exc:
        consent.edit_opt_out(entry=edited, receiver=OTHER, scope="tag", value="vip")
    assert exc.value.errors == {"receiver": ["This number is already unsubscribed for that scope."]}
    assert Unsubscriber.objects.get(pk=other.pk).receiver == OTHER
    with pytest.raises(ValidationFailed):
        consent.edit_opt_out(entry=Unsubscriber.objects.get(pk=entry.pk), receiver="", scope="all", value=None)


def test_clear_removes_one_channels_opt_outs(account):
    opt_out(account)
    opt_out(account, OTHER, scope="tag", value="vip")
    opt_out(account, channel="voice")
    assert consent.clear_opt_outs(account=account, channel="sms") == 2
    assert list(Unsubscriber.objects.filter(account=account).values_list("channel", flat=True)) == ["voice"]
    assert AuditEvent.objects.get(account=account, action="unsubscriber.cleaned").metadata == {"deleted": 2}


@pytest.fixture
def opt_outs(account, other_account):
    """Opt-outs of every scope, in two accounts, on two channels."""
    numbers = ["447400000001", "447400000002", "447400000003"]
    opt_out(account, numbers[0])
    opt_out(account, numbers[1], scope="product", value="G")
    opt_out(account, numbers[1], scope="sender", value="Acme")
    opt_out(account, numbers[2], scope="tag", value="promo")
    opt_out(account, numbers[2], channel="whatsapp")
    opt_out(other_account, numbers[1])
    return numbers


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_asking_together_answers_as_asking_one_by_one(account, other_account, opt_outs, data):
    ask = st.builds(
        consent.Ask,
        account=st.sampled_from([account, other_account]),
        channel=st.sampled_from(["sms", "whatsapp"]),
        numbers=st.lists(st.sampled_from([*opt_outs, "447400000009"]), max_size=3).map(tuple),
        product_code=st.sampled_from([None, "G", "g", "T"]),
        sender=st.sampled_from([None, "Acme", "ACME", "acme", "Other"]),
        tags=st.sampled_from([(), ("promo",), ("PROMO", "x")]),
    )
    asks = data.draw(st.lists(ask, min_size=1, max_size=5))
    with CaptureQueriesContext(connection) as queries:
        together = consent.suppressed_sets(asks)
    alone = [
        consent.suppressed_set(
            a.account, a.channel, a.numbers, product_code=a.product_code, sender=a.sender, tags=a.tags
        )
        for a in asks
    ]
    assert together == alone
    if len(asks) > 1:
        assert len(queries) <= 1  # one read for the whole group
