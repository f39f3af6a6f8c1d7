"""Concurrent sends racing for the last credits (PostgreSQL row locks)."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, connections

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import credits
from messaging.channels.sms import sending as services
from messaging.channels.sms.sending import Outgoing
from messaging.pipeline.models import Batch, Message
from portal.core.errors import InsufficientCredit


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races are tested on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_never_overspend(product_rows, settings):
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry
    from tests.factories import make_account

    account, _ = make_account(credits_amount="5")
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Race", "service": "G", "country_code": "GB"})
    )
    barrier = threading.Barrier(8)
    outcomes = []

    def send(i):
        try:
            barrier.wait()
            services.submit(
                account=account,
                product_code="G",
                outgoing=[Outgoing(to=f"44740012{i:04d}", sender="Race", message=f"Hello {i}")],
            )
            outcomes.append("sent")
        except InsufficientCredit:
            outcomes.append("refused")
        finally:
            connections.close_all()

    with mock.patch("messaging.pipeline.submit.enqueue"):
        threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes.count("sent") == 5 and outcomes.count("refused") == 3
    assert credits.balance(account) == Decimal("0")
    assert Batch.objects.filter(account=account).count() == 5 == Message.objects.filter(account=account).count()
    assert LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count() == 5
