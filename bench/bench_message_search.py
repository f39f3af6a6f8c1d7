"""Message search and the message detail on a large message table: loads N messages (default
3,000,000; bench_reports' loader: 1,000 accounts, one holding a fifth) into its own PostgreSQL
database, marks every 50th message WhatsApp, then prints for the large account, over 30 days:
the delivery report's first page and a deep page (keyset) per filter, the message detail, with
each query's plan (EXPLAIN ANALYZE) so the index it uses is on record.

With --compare, the same figures side by side, ABAB in one sitting, with the message table's
old (account, submitted_at) index against the new (account, submitted_at, id) one and the
detail's events query without and with the (account, payload->>'id') index: both indexes exist,
and each round drops the other one inside a transaction that is rolled back.

Run:  python bench/bench_message_search.py [--messages 3000000] [--reload] [--plans] [--compare]
      (DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/portal_messages_bench)
"""

import argparse
import os
import sys
from datetime import timedelta

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_messages_bench")
os.environ.setdefault("DATA_DIR", "/tmp/portal-messages-bench")
os.makedirs(os.environ["DATA_DIR"], exist_ok=True)
sys.path.insert(0, os.path.dirname(__file__))

import bench_reports  # noqa: E402
from _setup import setup_django  # noqa: E402

FILTERS = (
    ("none", None),
    ("outcome", "failed"),
    ("status", "UNDELIV"),
    ("status (rare)", "REJECTED"),
    ("sender", "ACMEOT"),
    ("channel", "whatsapp"),
    ("campaign", "<campaign>"),
    ("mobile", "919800000777"),
    ("custom", "c777"),
)


def explain(queryset):
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
        return "\n".join("      " + r[0] for r in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3_000_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    bench_reports.ensure_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import Account
    from messaging.pipeline.models import Batch, Message

    if args.reload:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE sending_message, sending_batch, accounts_wallet CASCADE")
        Account.objects.filter(username__startswith="bench-").delete()
    account = Account.objects.filter(username="bench-0").first()
    if account is None:
        account, campaign = bench_reports.load(args.messages)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE sending_message SET channel = 'whatsapp' WHERE id % 50 = 0")
            cursor.execute("ANALYZE sending_message")
    campaign = Batch.objects.filter(account=account).order_by("id").first()
    from portal.core.events.models import Event

    if not Event.objects.filter(account=account).exists():
        # A status event per message of the large account, as receipts write them.
        with connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO events_event (uuid, account_id, type, payload, webhook_id, identity, callback_url,
                   created_at) SELECT gen_random_uuid(), m.account_id, 'sms:message:status',
                   jsonb_build_object('id', b.uuid::text || ':' || m.index, 'status', m.status), '', '', '',
                   m.submitted_at + interval '20 seconds'
                   FROM sending_message m JOIN sending_batch b ON b.id = m.batch_id WHERE m.account_id = %s""",
                [account.pk],
            )
            cursor.execute("ANALYZE events_event")
    total = Message.objects.count()
    mine = Message.objects.filter(account=account).count()
    print(f"{total:,} messages; the large account holds {mine:,}; its campaign {campaign.total:,}")
    if args.compare:
        compare(account, campaign)
    else:
        measure(account, campaign, plans=args.plans)


OLD_INDEX = "sending_mes_account_ce4b46_idx"
NEW_INDEX = "sending_msg_account_time"
EVENTS_INDEX = "events_payload_id"


def measure(account, campaign, *, plans=False, quiet=False):
    """{name: (first page ms, 11th page ms)} and the detail's ms."""
    from messaging.reports import delivery, message_detail, summary
    from messaging.reports.forms import DeliveryFilterForm

    figures = {}
    today = summary.today(account)
    for name, value in FILTERS:
        query = {"since": (today - timedelta(days=29)).isoformat(), "until": today.isoformat()}
        if value:
            key = name.split(" ")[0]
            query[key] = str(campaign.uuid) if value == "<campaign>" else value
        form = DeliveryFilterForm(account, query)
        assert form.is_valid(), form.errors
        filters = form.filters()
        first_ms = bench_reports.timed(lambda f=filters: delivery.page(account, f))
        # Ten pages in: the cursor of page 10, then that page's cost.
        after = ""
        for _ in range(10):
            after = delivery.page(account, filters, after=after).next_cursor
            if not after:
                break
        deep_ms = bench_reports.timed(lambda f=filters, a=after: delivery.page(account, f, after=a)) if after else 0
        figures[name] = (first_ms, deep_ms)
        if not quiet:
            print(f"delivery report, filter {name}: first page {first_ms:.1f} ms, 11th page {deep_ms:.1f} ms")
        if plans:
            rows = delivery.messages(account, filters)
            rows = rows.order_by("-index") if filters.get("campaign") else rows.order_by("-submitted_at", "-id")
            print(explain(rows.values("id")[:51]))
    message = message_detail.find(account, campaign.uuid, 5)
    ms = bench_reports.timed(lambda: message_detail.detail(account, message))
    figures["message detail"] = (ms, 0)
    if not quiet:
        print(f"message detail (events and deliveries of one message): {ms:.1f} ms")
    if plans:
        print(explain(_events_qs(message)))
    return figures


def _without(index, fn):
    """`fn()` with `index` dropped, in a transaction rolled back afterwards."""
    from django.db import connection, transaction

    class Rollback(Exception):
        pass

    result = None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f'DROP INDEX "{index}"')
            result = fn()
            raise Rollback
    except Rollback:
        pass
    return result


def _round(label, account, campaign):
    # A: the base commit's indexes (the new ones dropped); B: this branch's (the old one dropped).
    def measured():
        return measure(account, campaign, quiet=True)

    if label == "A":
        return _without(NEW_INDEX, lambda: _without(EVENTS_INDEX, measured))
    return _without(OLD_INDEX, measured)


def compare(account, campaign):
    import subprocess

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE INDEX IF NOT EXISTS "{OLD_INDEX}" ON sending_message (account_id, submitted_at)')
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rounds = {"A": [], "B": []}
    for label in "ABAB":
        # A: the base commit's indexes (the new ones dropped); B: this branch's (the old one dropped).
        rounds[label].append(_round(label, account, campaign))
        print(f"round {label} done")
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(f"{'query':<34} {'A first':>9} {'B first':>9} {'ratio':>6}   {'A 11th':>9} {'B 11th':>9} {'ratio':>6}")
    for name in rounds["A"][0]:
        a1 = min(r[name][0] for r in rounds["A"])
        b1 = min(r[name][0] for r in rounds["B"])
        a2 = min(r[name][1] for r in rounds["A"])
        b2 = min(r[name][1] for r in rounds["B"])
        print(
            f"{name:<34} {a1:9.1f} {b1:9.1f} {a1 / b1 if b1 else 0:6.1f}   {a2:9.1f} {b2:9.1f} "
            f"{a2 / b2 if b2 else 0:6.1f}"
        )


def _events_qs(message):  # the detail's events query
    from django.db.models.fields.json import KeyTextTransform

    from messaging.reports.message_detail import Event

    return (
        Event.objects.for_account(message.account_id)
        .alias(public_id=KeyTextTransform("id", "payload"))
        .filter(public_id=message.public_id, created_at__gte=message.submitted_at)
    )


if __name__ == "__main__":
    main()
