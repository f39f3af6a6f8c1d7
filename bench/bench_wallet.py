"""Wallet debits under concurrency: N threads x M debits racing for one wallet that can afford
only part of them. Prints debits/s and checks that the balance never went negative and that the
ledger accounts for every credit.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/bench_wallet.py [--threads 8 --debits 250]
"""

import argparse
import threading
import time
from decimal import Decimal

from _setup import scratch_database, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--debits", type=int, default=250, help="debits per thread")
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings
        from django.db import connections
        from django.db.models import Sum

        from accounts.models import LedgerEntry, LedgerKind
        from accounts.services import credits
        from accounts.services.customers import create_customer
        from portal.core.errors import InsufficientCredit

        total = args.threads * args.debits
        affordable = total * 3 // 4
        account, _ = create_customer(email="wallet@example.com", password="x", credits_amount=str(affordable))
        ok = refused = 0
        lock = threading.Lock()
        barrier = threading.Barrier(args.threads)

        def worker():
            nonlocal ok, refused
            barrier.wait()
            for _ in range(args.debits):
                try:
                    credits.debit(account=account, amount="1", reason="bench")
                    with lock:
                        ok += 1
                except InsufficientCredit:
                    with lock:
                        refused += 1
            connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        balance = credits.balance(account)
        ledger_sum = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
        debits = LedgerEntry.objects.filter(account=account, kind=LedgerKind.DEBIT).count()
        print(
            f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} threads={args.threads} "
            f"attempts={total}"
        )
        print(f"{total / elapsed:,.0f} debit attempts/s ({elapsed:.2f} s); succeeded={ok} refused={refused}")
        print(f"final balance={balance} ledger sum={ledger_sum} debit entries={debits}")
        assert ok == affordable and refused == total - affordable, "wrong number of debits succeeded"
        assert balance == Decimal(0) == ledger_sum, "balance and ledger disagree"
        assert debits == ok
        print("checks: OK (never negative, no lost update, ledger complete)")
    finally:
        teardown()


if __name__ == "__main__":
    main()
