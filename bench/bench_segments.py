"""Count dynamic segments over 1,000,000 contacts and stream a segment's numbers for a send.

Loads the contacts with set-based SQL (generate_series), then times `count_segment` (the same call the
segment endpoints and pages make) for several rule shapes, and `segment_recipients` (what a send to
`recipient.group_id` iterates) with the Python heap peak measured by tracemalloc. Optionally accepts a
send to a segment through `sms/message/send` (`--send`), enqueue mocked as in bench_bulk_send.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal ../.venv/bin/python \\
          bench_segments.py [--contacts 1000000] [--send 100000] [--compare] [--only TEXT] [--keep]
"""

import argparse
import resource
import statistics
import time
import tracemalloc

from _setup import scratch_database, setup_django

SEGMENTS = {
    "tag vip (30 %)": {"positive_tags": ["vip"]},
    "vip and not blocked": {"positive_tags": ["vip"], "negative_tags": ["blocked"]},
    "all of vip+newsletter": {"positive_tags": ["vip", "newsletter"], "positive_tags_operator": "all"},
    "attribute membership = platinum": {
        "rules": {"conditions": [{"field": "attributes.membership", "op": "eq", "value": "platinum"}]}
    },
    "attribute spend > 900 (text cast)": {
        "rules": {"conditions": [{"field": "attributes.spend", "op": "gt", "value": 900}]}
    },
    "sms unsubscribed": {"rules": {"conditions": [{"field": "subscription.sms", "op": "unsubscribed"}]}},
    "combined (tags, attribute, e-mail, subscription)": {
        "positive_tags": ["newsletter"],
        "negative_tags": ["blocked"],
        "rules": {
            "match": "all",
            "conditions": [
                {"field": "attributes.membership", "op": "in", "value": ["gold", "platinum"]},
                {"field": "subscription.sms", "op": "subscribed"},
                {
                    "match": "any",
                    "conditions": [
                        {"field": "identifier.email", "op": "exists"},
                        {"field": "tags", "op": "any", "value": ["vip"]},
                    ],
                },
            ],
        },
    },
}


def load(account, n):
    """n contacts, a phone each, an e-mail for 1 in 5, tags (vip 30 %, newsletter 50 %, blocked 2 %),
    attributes {membership, spend (text, as imports store it)}, 1 % unsubscribed from SMS."""
    from django.db import connection

    from contacts.services.tags import tags_by_name

    tags = {t.name: t.pk for t in tags_by_name(account=account, names=["vip", "newsletter", "blocked"], create=True)}
    a = account.pk
    statements = [
        f"""INSERT INTO contacts_contact (account_id, identity, attributes, created_at, updated_at)
            SELECT {a}, 'c' || g,
                   jsonb_build_object('membership', (ARRAY['platinum','gold','silver','basic'])[1 + g % 4],
                                      'spend', (g % 1000)::text),
                   now(), now()
            FROM generate_series(1, {n}) g""",
        f"""INSERT INTO contacts_identifier (account_id, contact_id, type, value, is_primary, created_at, updated_at)
            SELECT {a}, id, 'phone', (919000000000 + id)::text, true, now(), now()
            FROM contacts_contact WHERE account_id = {a}""",
        f"""INSERT INTO contacts_identifier (account_id, contact_id, type, value, is_primary, created_at, updated_at)
            SELECT {a}, id, 'email', 'c' || id || '@example.com', true, now(), now()
            FROM contacts_contact WHERE account_id = {a} AND id % 5 = 0""",
        f"""INSERT INTO contacts_contacttag (contact_id, tag_id, created_at)
            SELECT id, {tags["vip"]}, now() FROM contacts_contact WHERE account_id = {a} AND id % 10 < 3""",
        f"""INSERT INTO contacts_contacttag (contact_id, tag_id, created_at)
            SELECT id, {tags["newsletter"]}, now() FROM contacts_contact WHERE account_id = {a} AND id % 2 = 0""",
        f"""INSERT INTO contacts_contacttag (contact_id, tag_id, created_at)
            SELECT id, {tags["blocked"]}, now() FROM contacts_contact WHERE account_id = {a} AND id % 50 = 1""",
        f"""INSERT INTO contacts_subscription
                (account_id, contact_id, identifier_id, channel, channel_id, status, unsubscribed_at,
                 created_at, updated_at)
            SELECT {a}, contact_id, id, 'sms', 'sms', 'unsubscribed', now(), now(), now()
            FROM contacts_identifier WHERE account_id = {a} AND type = 'phone' AND contact_id % 100 = 3""",
        "ANALYZE contacts_contact, contacts_identifier, contacts_contacttag, contacts_subscription",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def member_query_count(segments, segment):
    """`segment_contacts().count()` under the same settings as `count_segment()` (JIT off)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return segments.segment_contacts(segment).count()


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--send", type=int, default=0, help="also send to a static segment of this many members")
    parser.add_argument("--only", default="", help="time only the segments whose label contains this text")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database (for EXPLAIN) instead of dropping it"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also time segment_contacts().count() (the member query, the count path before counted_contacts)",
    )
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from accounts.services.customers import create_customer
        from contacts.services import segments

        account, _ = create_customer(email="seg@example.com", password="x", credits_amount="1000000")
        start = time.perf_counter()
        load(account, args.contacts)
        print(f"loaded {args.contacts:,} contacts in {time.perf_counter() - start:.1f} s")

        print(f"| segment | members | best | median (of {args.repeat}) |")
        print("|---|---|---|---|")
        for label, data in SEGMENTS.items():
            if args.only not in label:
                continue
            segment = segments.create_segment(account=account, data={"name": label, **data})
            count, times = timed(lambda s=segment: segments.count_segment(s), args.repeat)
            print(f"| {label} | {count:,} | {min(times) * 1000:.0f} ms | {statistics.median(times) * 1000:.0f} ms |")
            if args.compare:
                members, times = timed(lambda s=segment: member_query_count(segments, s), args.repeat)
                assert members == count, (label, members, count)
                best, median = min(times) * 1000, statistics.median(times) * 1000
                print(f"| {label}: member query | {members:,} | {best:.0f} ms | {median:.0f} ms |")

        big = segments.create_segment(account=account, data={"name": "newsletter", "positive_tags": ["newsletter"]})
        start = time.perf_counter()
        streamed = sum(1 for _ in segments.segment_recipients(account, [big.pk]))
        elapsed = time.perf_counter() - start
        # Memory on a second pass: tracemalloc slows Python down too much to time the first.
        tracemalloc.start()
        sum(1 for _ in segments.segment_recipients(account, [big.pk]))
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"segment_recipients over {big.member_count:,} members: {streamed:,} numbers streamed in "
            f"{elapsed:.2f} s, Python heap peak {heap_peak / 1e6:.1f} MB"
        )
        if args.send:
            send(account, segments, args.send)
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        if not args.keep:
            teardown()


def send(account, segments, members):
    """POST sms/message/send with recipient.group_id = a segment of `members` contacts."""
    from unittest import mock

    from django.conf import settings
    from rest_framework.test import APIClient

    from accounts.services.apikeys import create_api_key
    from contacts.models import Contact
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry

    settings.CELERY_TASK_ALWAYS_EAGER = False
    save_price(data={"service": "G", "iso": "IN", "country_name": "India", "sale_price": "0.1"})
    sender = registry.create_sender(account=account, data={"name": "AcmeGL", "service": "G", "country_code": "IN"})
    review.approve(item=sender)
    ids = list(Contact.objects.for_account(account).order_by("id").values_list("id", flat=True)[:members])
    segment = segments.create_segment(account=account, data={"name": "send", "type": "static", "members": ids})
    account.api_rate_limit = 1_000_000
    account.save()
    _, secret = create_api_key(account=account, name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "channels": [{"name": "sms", "from": "AcmeGL", "meta": {"service": "G"}}],
        "recipient": {"group_id": str(segment.pk)},
        "message": {"type": "text", "payload": {"text": "Spring sale: 20 % off everything this weekend"}},
    }
    with mock.patch("messaging.pipeline.submit.enqueue"):
        start = time.perf_counter()
        res = client.post("/api/v2/sms/message/send", body, format="json")
        elapsed = time.perf_counter() - start
    assert res.status_code == 200, res.content[:300]
    accepted = sum(1 for item in res.json()["data"] if item["status"] == "AWAITING-DLR")
    print(f"send to a {segment.member_count:,}-member segment through HTTP: {accepted:,} accepted in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
