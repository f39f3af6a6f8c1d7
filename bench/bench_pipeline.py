"""End-to-end throughput: accepted messages dispatched to the simulator, receipts applied, events
written, until every message is final. One process, PostgreSQL.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_pipeline.py [--messages 200000]
"""

import argparse
import random
import time
from unittest import mock

from _setup import scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=1_000_000, help="simulator send rate per second")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        settings.SIMULATOR = {"delivery_ratio": 0.95, "dlr_delay_seconds": 0, "seed": 7}
        # The pipeline's own capacity is measured: the connector's configured send rate (5,000/s
        # for the simulator by default) would otherwise set the pace.
        settings.CONNECTOR_RATES = {**settings.CONNECTOR_RATES, "simulator": args.rate}
        from accounts.services.customers import create_customer
        from messaging.channels.sms import sending as services
        from messaging.channels.sms.sending import Outgoing
        from messaging.pipeline import tasks
        from messaging.pipeline.models import Message, State
        from messaging.pricing.services import save_price
        from messaging.review import services as review
        from messaging.senders import services as registry
        from portal.core.events.models import Event

        account, _ = create_customer(email="pipe@example.com", password="x", credits_amount="10000000")
        save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
        review.approve(
            item=registry.create_sender(account=account, data={"name": "Pipe", "service": "G", "country_code": "GB"})
        )
        rng = random.Random(1)
        batch_ids = []
        with mock.patch("messaging.pipeline.submit.enqueue"):
            for b in range(args.messages // args.batch):
                outgoing = [
                    Outgoing(to=f"4474{rng.randrange(10**7, 10**8)}", sender="Pipe", message=f"Campaign {b} says hello")
                    for _ in range(args.batch)
                ]
                batch_ids.append(services.submit(account=account, service_code="G", outgoing=outgoing).batch.pk)
        accepted = Message.objects.filter(state=State.QUEUED).count()

        receipts = []
        with mock.patch(
            "messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts",
            lambda self, ids: receipts.append(list(ids)),
        ):
            start = time.perf_counter()
            for batch_id in batch_ids:
                tasks.dispatch_batch(batch_id)
            dispatched = time.perf_counter() - start
            for chunk in receipts:
                tasks.simulate_receipts(chunk)
            elapsed = time.perf_counter() - start
        final = Message.objects.filter(state=State.FINAL).count()
        events = Event.objects.filter(type="sms:message:status").count()
        print(f"messages accepted={accepted} final={final} events={events}")
        print(
            f"dispatch {dispatched:.1f} s; dispatch + receipts {elapsed:.1f} s = {final / elapsed:,.0f} messages/s "
            "to final status (one process)"
        )
        assert final == accepted == events
    finally:
        teardown()


if __name__ == "__main__":
    main()
