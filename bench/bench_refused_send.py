"""What a send of 100,000 recipients that are all refused before pricing costs the platform: the
request's time, the rows it writes (every table of the database counted before and after) and the
size of its answer, as JSON and as sent to a client that accepts gzip.

Two requests through the full Django stack (`POST /api/v2/sms/send`, JSON body, in this process):
100,000 valid Indian mobile numbers to an account whose service is priced for the UK only
(`NOTALLOWED`: the destination is not enabled), and 100,000 strings that are no phone number
(`INV-NUMBER`); then three of the second kind inside one minute (the recipients-per-minute budget
refuses the third). Runs on any version of the portal, so the same script measures before and after.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_refused_send.py [--recipients 100000] [--repeat 3]
"""

import argparse
import gzip
import json
import statistics
import time

from _setup import push_account, scratch_database, setup_django


def table_counts():
    from django.db import connection

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalog
            counts[table] = cursor.fetchone()[0]
    return counts


def written(before, after):
    return {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings
        from django.core.cache import cache
        from rest_framework.test import APIClient

        settings.CELERY_TASK_ALWAYS_EAGER = False  # nothing is accepted: nothing to dispatch anyway
        secret = push_account()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        print(
            f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} recipients={args.recipients} "
            f"budget={getattr(settings, 'SEND_RECIPIENTS_PER_MINUTE', 'none')}"
        )
        scenarios = {
            "NOTALLOWED (destination not enabled)": [f"9198{i:08d}" for i in range(args.recipients)],
            "INV-NUMBER (not a number)": [f"x{i:07d}" for i in range(args.recipients)],
        }
        for label, numbers in scenarios.items():
            times, sizes = [], []
            for attempt in range(args.repeat):
                cache.clear()  # a fresh rate-limit and recipient-budget window for every request
                body = {"sender": "Push", "service": "G", "message": f"Hello {label} {attempt}", "to": numbers}
                before = table_counts()
                started = time.perf_counter()
                res = client.post(
                    "/api/v2/sms/send", json.dumps(body), content_type="application/json", HTTP_ACCEPT_ENCODING="gzip"
                )
                wire = res.content
                times.append(time.perf_counter() - started)
                content = gzip.decompress(wire) if res.get("Content-Encoding") == "gzip" else wire
                rows = written(before, table_counts())
                assert res.status_code == 200, content[:300]
                answer = json.loads(content)
                statuses = {item["status"] for item in answer["data"]}
                sizes.append((len(content), len(wire)))
            print(
                f"{label}: {statistics.median(times):.2f} s median of {args.repeat} "
                f"({', '.join(f'{t:.2f}' for t in times)}); rows written {sum(rows.values()):,} {rows}; "
                f"answer {sizes[-1][0] / 1e6:.1f} MB, {sizes[-1][1] / 1e6:.2f} MB sent (Accept-Encoding: gzip), "
                f"{len(answer['data']):,} items, statuses {sorted(statuses)}, message {answer['message']!r}"
            )
        # Three such requests inside one minute from one account: the third meets the budget.
        cache.clear()
        numbers = scenarios["INV-NUMBER (not a number)"]
        outcomes = []
        for attempt in range(3):
            body = {"sender": "Push", "service": "G", "message": f"Again {attempt}", "to": numbers}
            started = time.perf_counter()
            res = client.post("/api/v2/sms/send", json.dumps(body), content_type="application/json")
            outcomes.append(f"{res.status_code} in {time.perf_counter() - started:.2f} s")
        retry = res.get("Retry-After", "-")
        print(f"three requests of {args.recipients:,} in one minute: {', '.join(outcomes)} (Retry-After {retry})")
    finally:
        teardown()


if __name__ == "__main__":
    main()
