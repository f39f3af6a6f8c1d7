"""The per-pair rate (131056) is enforced before sending: messages over a (business number,
customer) pair's windows wait for their slot instead of failing; other customers are not held."""

from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import override_settings

from messaging.channels.whatsapp import connector, pair_rate
from tests.messaging.whatsapp.conftest import CUSTOMER, OTHER_CUSTOMER

pytestmark = pytest.mark.django_db
T0 = 1_700_000_004.0  # 4 s into a 6-second window


def _limits(*pairs):
    from django.conf import settings

    return override_settings(WHATSAPP={**settings.WHATSAPP, "pair_limits": list(pairs)})


def test_a_pair_over_its_window_waits_for_the_next_one():
    with _limits((2, 6)):
        due = pair_rate.schedule("PN1", [CUSTOMER, CUSTOMER, CUSTOMER, OTHER_CUSTOMER, CUSTOMER], now=T0)
    assert due == [T0, T0, 1_700_000_010.0, T0, 1_700_000_010.0]


def test_every_window_must_hold_and_counts_are_shared_between_calls():
    with _limits((2, 6), (3, 60)):
        first = pair_rate.schedule("PN1", [CUSTOMER, CUSTOMER], now=T0)
        later = pair_rate.schedule("PN1", [CUSTOMER, CUSTOMER], now=T0 + 1)  # another worker, a second later
    assert first == [T0, T0]
    # The 6-second window is full until 1_700_000_010, then the 60-second one (3) until 1_700_000_040.
    assert later == [1_700_000_010.0, 1_700_000_040.0]
    assert pair_rate.schedule("PN2", [CUSTOMER], now=T0) == [T0]  # another business number: its own pairs


def test_the_connector_delays_rather_than_fails(business_number):
    sent = []
    now = [T0]

    class FakeClient:
        def send(self, to, content):
            sent.append((to, now[0]))
            return f"wamid.{len(sent)}"

        def send_many(self, items):
            return [self.send(to, content) for to, content in items]

    def fake_sleep(seconds):
        now[0] += seconds

    messages = [SimpleNamespace(sender=business_number.number, mobile=to, content={"type": "text"})
                for to in (CUSTOMER, CUSTOMER, OTHER_CUSTOMER, CUSTOMER)]  # fmt: skip
    with (
        _limits((2, 6)),
        mock.patch.object(connector.cloud_api, "client_for", return_value=FakeClient()),
        mock.patch.object(connector, "clock", lambda: now[0]),
        mock.patch.object(connector, "sleep", fake_sleep),
    ):
        results = connector.CloudApiConnector().submit(messages)
    assert all(r and r.startswith("wamid.") for r in results)  # none refused
    assert sorted(sent) == sorted([(CUSTOMER, T0), (CUSTOMER, T0), (OTHER_CUSTOMER, T0), (CUSTOMER, 1_700_000_010.0)])
