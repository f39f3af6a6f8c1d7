"""Reports on a large message table: loads N messages (default 10,000,000) over 1,000 accounts,
one of them holding a fifth (2,000,000) with a campaign of up to 1,000,000, into its own
PostgreSQL database with COPY, builds the rollups from them, then measures the issue's targets:

- the dashboard page (30 days) of the large account: server time;
- the delivery report's first page with each single filter;
- the campaign report of the large campaign;
- CSV export of 1,000,000 rows (rows/s, the worker's peak memory) and XLSX (rows/s);
- rollup maintenance against the pipeline's own work (accept + dispatch + receipts of a batch,
  with the rollup calls on and off).

Run:  python bench/bench_reports.py [--messages 10000000] [--reload] [--skip-export]
      (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/portal_reports_bench)
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_reports_bench")
os.environ.setdefault("DATA_DIR", "/tmp/portal-reports-bench")
os.makedirs(os.environ["DATA_DIR"], exist_ok=True)

from _setup import setup_django  # noqa: E402

ACCOUNTS = 1000
OUTCOMES = (  # (share, state, status, code, progress)
    (0.85, "final", "DELIVRD", "000", 3),
    (0.03, "final", "UNDELIV", "034", 9),
    (0.02, "final", "ABSENT-SUB", "010", 9),
    (0.02, "final", "EXPIRED", "021", 9),
    (0.01, "final", "REJECTED", "458", 9),
    (0.05, "submitted", "AWAITING-DLR", "", 2),
    (0.02, "rejected", "INV-NUMBER", "404", 0),
)
COLUMNS = [
    "batch_id",
    "account_id",
    "index",
    "mobile",
    "iso",
    "sender",
    "product_code",
    "channel",
    "progress",
    "text",
    "encoding",
    "length",
    "units",
    "price",
    "charges",
    "state",
    "status",
    "status_code",
    "priority",
    "custom",
    "flash",
    "port",
    "template_id",
    "entity_id",
    "supplier",
    "supplier_message_id",
    "webhook_id",
    "dlr_url",
    "dlr_mask",
    "submitted_at",
    "dispatched_at",
    "delivered_at",
    "updated_at",
]


def ensure_database():
    import psycopg

    name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def plan(total, campaign=None):
    """(account index, batch size) list: the large account first (its first batch the campaign:
    `campaign` messages, or half the large account's fifth up to 1,000,000)."""
    big = max(total // 5, campaign or 0)
    campaign = campaign or min(1_000_000, big // 2)
    batches = [(0, campaign)]
    left = big - campaign
    while left > 0:
        batches.append((0, min(50_000, left)))
        left -= 50_000
    per_other = (total - big) // (ACCOUNTS - 1)
    for account in range(1, ACCOUNTS):
        left = per_other
        while left > 0:
            batches.append((account, min(2_000, left)))
            left -= 2_000
    return batches


def load(total, campaign=None):
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Account, Wallet
    from messaging.models import Product
    from messaging.pipeline.models import Batch

    rng = random.Random(7)
    now = timezone.now()
    product = Product.objects.get(code="T")
    accounts = Account.objects.bulk_create(
        [Account(name=f"Bench {i}", username=f"bench-{i}", time_zone="Asia/Kolkata") for i in range(ACCOUNTS)]
    )
    Wallet.objects.bulk_create([Wallet(account=a, balance=10**9) for a in accounts])
    batches = plan(total, campaign)
    rows = Batch.objects.bulk_create(
        [
            Batch(
                account=accounts[a],
                name=f"Campaign {i}",
                source="api",
                product=product,
                total=size,
                accepted=size,
                unique_recipients=size,  # what accept counts: the loader's numbers are distinct per batch
                cost=size * 0.25,
            )
            for i, (a, size) in enumerate(batches)
        ],
        batch_size=5000,
    )
    cumulative, acc = [], 0.0
    for share, *outcome in OUTCOMES:
        acc += share
        cumulative.append((acc, outcome))
    started = time.perf_counter()
    written = 0
    with connection.cursor() as cursor, cursor.copy(f"COPY sending_message ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for batch, (a, size) in zip(rows, batches, strict=True):
            submitted = now - timedelta(seconds=rng.randrange(30 * 86400))
            sub = submitted.isoformat()
            account_id = accounts[a].pk
            lines = []
            for index in range(1, size + 1):
                draw = rng.random()
                state, status, code, progress = next(o for limit, o in cumulative if draw <= limit)
                dispatched = delivered = r"\N"
                sid = ""
                supplier = ""
                if state != "rejected":
                    supplier, sid = "simulator", f"{batch.pk}-{index}"
                    dispatched = sub
                    if state == "final":
                        delivered = (submitted + timedelta(seconds=rng.expovariate(1 / 20))).isoformat()
                sender = "ACMEIN" if index % 3 else "ACMEOT"
                iso = "IN" if index % 10 else "GB"
                lines.append(
                    f"{batch.pk}\t{account_id}\t{index}\t9198{index % 100000000:08d}\t{iso}\t{sender}\tT\tsms\t"
                    f"{progress}\tYour OTP is 1234\tGSM\t16\t1\t0.25\t0.25\t{state}\t{status}\t{code}\t0\t"
                    f"c{index}\tf\t\t{1107000 + index % 7}\t\t{supplier}\t{sid}\t\t\t1\t{sub}\t{dispatched}\t"
                    f"{delivered}\t{sub}\n"
                )
                if len(lines) >= 20000:
                    copy.write("".join(lines))
                    lines = []
            if lines:
                copy.write("".join(lines))
            written += size
    seconds = time.perf_counter() - started
    print(
        f"loaded {written:,} messages over {ACCOUNTS} accounts by COPY in {seconds:.0f} s ({written / seconds:,.0f}/s)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sending_message")
    return accounts[0], rows[0]


def build_rollups():
    from messaging.reports import rollups

    started = time.perf_counter()
    written = rollups.rebuild()
    print(f"rollups rebuilt from the messages: {written:,} rows in {time.perf_counter() - started:.0f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reports_messagerollup")


def measure_pages(account, campaign):
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Membership, Role, User
    from messaging.reports import campaigns, dashboard, delivery

    user, _ = User.objects.get_or_create(email="bench-owner@example.com")
    Membership.objects.get_or_create(user=user, account=account, defaults={"role": Role.OWNER})
    client = Client()
    client.force_login(user)
    url = reverse("reports:dashboard")
    client.get(url, {"period": "30d"})  # warm
    page_ms = timed(lambda: client.get(url, {"period": "30d"}))
    figures_ms = timed(lambda: dashboard.figures(account, "30d"))
    print(f"dashboard page, 30 days, {account.name}: {page_ms:.0f} ms (figures alone {figures_ms:.0f} ms)")
    today = dashboard.summary.today(account)
    base = {"since": today - timedelta(days=29), "until": today}
    from messaging.reports.forms import DeliveryFilterForm

    for name, value in (
        ("none", None),
        ("outcome", "failed"),
        ("status", "UNDELIV"),
        ("sender", "ACMEOT"),
        ("iso", "GB"),
        ("campaign", str(campaign.uuid)),
        ("mobile", "919800000777"),
        ("custom", "c777"),
    ):
        query = {"since": base["since"].isoformat(), "until": base["until"].isoformat()}
        if value:
            query[name] = value
        form = DeliveryFilterForm(account, query)
        assert form.is_valid(), form.errors
        filters = form.filters()
        ms = timed(lambda f=filters: delivery.page(account, f))
        print(f"delivery report first page, filter {name}: {ms:.0f} ms")
    if campaign.unique_recipients is None:  # loaded before accept counted them: counted once, stored
        ms = timed(lambda: campaigns.unique_recipients(campaign), repeat=1)
        print(f"  unique recipients of a batch from before the count was kept (COUNT DISTINCT, once): {ms:.0f} ms")
    ms = timed(lambda: campaigns.report(campaign), repeat=5)
    print(f"campaign report, {campaign.total:,} messages: {ms:.0f} ms")
    ms = timed(lambda: campaigns._count_distinct(campaign), repeat=3)
    print(f"  (for comparison, COUNT DISTINCT over the batch as before: {ms:.0f} ms)")


def measure_export(account, campaign, fmt):
    """Run the export in a child process, so its peak memory is the worker's own."""
    from unittest import mock

    from messaging.reports import exports

    with mock.patch("messaging.reports.exports.transaction.on_commit"):  # the child process runs it
        job, _ = exports.request_export(account, query={"campaign": str(campaign.uuid), "since": "2000-01-01"}, fmt=fmt)
    code = (
        "import os,sys,time,resource;sys.path.insert(0,'bench');from _setup import setup_django;setup_django();"
        "from messaging.reports import exports;"
        "exports.PROGRESS_EVERY=50000;"
        f"t=time.perf_counter();n=exports.run({job.pk});s=time.perf_counter()-t;"
        "print(n, s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    rows, seconds, rss_kb = out.stdout.split()[-3:]
    rows, seconds = int(rows), float(seconds)
    rss = int(rss_kb) / 1024
    print(f"{fmt.upper()} export of {rows:,} rows: {rows / seconds:,.0f} rows/s, worker peak RSS {rss:.0f} MB")


def measure_maintenance():
    """The pipeline's accept + dispatch + receipts of a 20,000-message batch with the rollup
    calls on and off (same data, alternating, median of 3)."""
    from unittest import mock

    from accounts.models import Account
    from accounts.services.customers import create_customer
    from messaging.channels.sms import sending
    from messaging.channels.sms.sending import Outgoing
    from messaging.pipeline import tasks
    from messaging.pipeline.models import Message
    from messaging.pricing.services import save_price
    from messaging.reports import rollups

    account = Account.objects.filter(username="bench-pipeline").first()
    if account is None:
        account, _ = create_customer(
            email="bench-pipeline@example.com", password="x", username="bench-pipeline", credits_amount="1000000"
        )
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "0.01"})
    from messaging.review import services as review
    from messaging.senders import services as registry
    from messaging.senders.models import Sender

    if not Sender.objects.filter(account=account, name="BenchUK").exists():
        review.approve(
            item=registry.create_sender(account=account, data={"name": "BenchUK", "service": "G", "country_code": "GB"})
        )
    n = 20_000

    def one_run():
        outgoing = [Outgoing(to=f"4474{random.randrange(10**8):08d}", sender="BenchUK", message="Hi") for _ in range(n)]
        start = time.perf_counter()
        with mock.patch("messaging.pipeline.submit.enqueue"):
            batch = sending.submit(account=account, product_code="G", outgoing=outgoing).batch
        with mock.patch("messaging.pipeline.connectors.simulator.SimulatorConnector.schedule_receipts"):
            tasks.dispatch_batch(batch.pk)
        ids = list(Message.objects.filter(batch=batch).values_list("supplier_message_id", flat=True))
        for start_at in range(0, len(ids), 1000):
            sending.apply_dlrs(
                supplier="simulator", receipts=[(i, "DELIVRD", "000") for i in ids[start_at : start_at + 1000]]
            )
        return time.perf_counter() - start

    results = {"on": [], "off": []}
    noop = lambda *a, **k: None  # noqa: E731
    for _ in range(3):
        results["on"].append(one_run())
        with (
            mock.patch.object(rollups, "record_accepted", noop),
            mock.patch.object(rollups, "record_receipts", noop),
            mock.patch.object(rollups, "record_changed", noop),
            mock.patch.object(rollups, "record_written", noop),
        ):
            results["off"].append(one_run())
    on, off = statistics.median(results["on"]), statistics.median(results["off"])
    print(
        f"pipeline, {n:,} messages accepted + dispatched + receipted: {n / off:,.0f} msg/s without rollups, "
        f"{n / on:,.0f} msg/s with ({100 * (on - off) / off:+.1f} %)"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    ensure_database()
    setup_django()
    from django.conf import settings

    # Pages render without collectstatic's manifest (a server would have run collectstatic).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Account
    from messaging.pipeline.models import Batch

    if args.reload:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE sending_message, sending_batch, reports_messagerollup, accounts_wallet CASCADE")
        Account.objects.filter(username__startswith="bench-").exclude(username="bench-pipeline").delete()
    account = Account.objects.filter(username="bench-0").first()
    if account is None:
        account, campaign = load(args.messages)
        build_rollups()
    else:
        campaign = Batch.objects.filter(account=account).order_by("id").first()
        print(f"reusing the loaded data ({campaign.total:,}-message campaign)")
    measure_pages(account, campaign)
    if not args.skip_export:
        measure_export(account, campaign, "csv")
        measure_export(account, campaign, "xlsx")
    measure_maintenance()


if __name__ == "__main__":
    main()
