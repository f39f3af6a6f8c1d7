"""The voice composer's preview and send at list sizes a customer types or uploads.

The preview runs on every edit (debounced): it builds the audience (typed numbers), runs the bulk
call's dry run per recipient (`quotes.plan`) and the estimate. The send runs the same quote and
writes it (one group, COPY of the calls, one debit). Prints the median of a few rounds per size.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/bench_voice_composer.py [--sizes 1000 10000]
"""

import argparse
import statistics
import time

from _setup import scratch_database, setup_django

FLOW = {
    "steps": [
        {"id": "hi", "type": "say", "text": "Hello {{Name}}, your renewal is due. Press 1 to renew.", "next": "menu"},
        {"id": "menu", "type": "gather", "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "yes"}, "default": "no"},
        {"id": "yes", "type": "say", "text": "Thank you"},
        {"id": "no", "type": "say", "text": "Goodbye"},
    ]
}


def bench(sizes, rounds):
    from django.db import transaction

    from accounts.services import credits
    from accounts.services.customers import create_customer
    from voice.models import CallGroup, NumberKind, VoiceNumber
    from voice.services import composer, flows, quotes

    account, _ = create_customer(email="voice-composer-bench@example.com", password="x", credits_amount="10000000")
    VoiceNumber.objects.create(account=account, number="918068280001", kind=NumberKind.BRIDGE)
    flow = flows.create_flow(account=account, name="Bench", definition=FLOW)
    for size in sizes:
        typed = "\n".join(f"9198{i:08d}" for i in range(1, size + 1))
        data = {"bridge": "918068280001", "to": typed, "flow": flow.pk, "variables": {"Name": "Asha"}, "name": "b"}
        previews, sends = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            composition = composer.compose(account, data, strict=False)
            plan = composer.quote(account, composition)
            quotes.estimated(plan)
            credits.balance(account)
            previews.append(time.perf_counter() - start)
            start = time.perf_counter()
            with transaction.atomic():
                # The send's on_commit hook would queue the calls to Celery: not part of the figure.
                original = transaction.on_commit
                transaction.on_commit = lambda fn, using=None, robust=False: None
                try:
                    group, sent = composer.send(account=account, composition=composer.compose(account, data))
                finally:
                    transaction.on_commit = original
            sends.append(time.perf_counter() - start)
            assert sent.accepted == size and group.reserved == plan.reserved
        CallGroup.objects.filter(account=account).delete()
        print(
            f"{size:>6,} typed numbers: preview (audience + quote + estimate) median "
            f"{statistics.median(previews) * 1000:,.0f} ms; send (quote + write + debit) median "
            f"{statistics.median(sends) * 1000:,.0f} ms ({rounds} rounds)"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        bench(args.sizes, args.rounds)
    finally:
        teardown()


if __name__ == "__main__":
    main()
