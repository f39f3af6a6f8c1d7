"""The campaign report of the large campaign loaded by bench_reports.py: campaigns.report() five
times (median), the one-off count for a batch loaded before `Batch.unique_recipients` existed,
and the COUNT(DISTINCT mobile) the report used to run, for comparison.

Run:  python bench/bench_campaign_report.py   (DATABASE_URL defaults to the bench_reports database)
"""

import os
import statistics
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_reports_bench")
os.environ.setdefault("DATA_DIR", "/tmp/portal-reports-bench")

from _setup import setup_django  # noqa: E402


def ms_since(start):
    return (time.perf_counter() - start) * 1000


def main():
    setup_django()
    from accounts.models import Account
    from messaging.pipeline.models import Batch
    from messaging.reports import campaigns

    account = Account.objects.get(username="bench-0")
    campaign = Batch.objects.filter(account=account).order_by("id").first()
    if campaign.unique_recipients is None:  # loaded before accept counted them: counted once, stored
        start = time.perf_counter()
        campaigns.unique_recipients(campaign)
        print(f"one-off count for a batch from before the field (COUNT DISTINCT): {ms_since(start):.0f} ms")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        report = campaigns.report(campaign)
        times.append(ms_since(start))
    print(
        f"campaign report, {campaign.total:,} messages: median {statistics.median(times):.0f} ms "
        f"(runs {[round(t) for t in times]}), unique recipients {report['unique_recipients']:,}"
    )
    start = time.perf_counter()
    campaigns._count_distinct(campaign)
    print(f"COUNT(DISTINCT mobile) over the batch, as the report used to: {ms_since(start):.0f} ms")


if __name__ == "__main__":
    main()
