"""Accept a 100,000-recipient bulk send (scrub, price, pay, persist, enqueue) and time it beside
the database's own floor, in one process and one sitting.

1. `submit()` plus the JSON encoding of its answer, in this process (`messaging.pipeline.submit`).
2. The floor (`bench_bulk_floor.py`): a bare COPY of that batch's rows into the message table with
   its indexes, and into a narrow table, each rolled back.
3. A real gunicorn worker on loopback against the same scratch database: `POST /api/v2/sms/send/json`
   (100,000 nodes under one `root`) and `POST /api/v2/sms/send` (comma-separated `to`), each a warm-up
   then measured requests with fresh texts (the repetition rule would refuse a resend). Printed: the
   answer time at the client, the worker's `Server-Timing`, its CPU time, its peak RSS (VmHWM), and
   the ratio of the send/json answer time to the floor.

Dispatch tasks go to the Redis database of REDIS_URL (flushed at the end: give the bench its own).

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_bulk_send.py [--recipients 100000] [--rounds 3] [--custom]
"""

import argparse
import json
import os
import random
import resource
import statistics
import time

from _setup import cpu_seconds, peak_rss_mb, scratch_database, setup_django, start_gunicorn, worker_pids

TEXT = "Dear {name}, your order 5512 number 17 has shipped today via Acme"
NAMES = ["Asha", "Ravi", "Mira", "Kiran", "Devi", "Arun", "Leela", "Vijay", "Nisha", "Rohan", "Sita", "Amit"]


def make_world(recipients):
    """An account with a DLT sender, 200 approved templates, a price and plenty of credits; returns
    (account, numbers)."""
    from accounts.services.customers import create_customer
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry

    account, _ = create_customer(email="bulk@example.com", password="x", credits_amount="10000000")
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.15"})
    sender = registry.create_sender(
        account=account,
        data={
            "name": "ACMEIN",
            "service": "T",
            "country_code": "IN",
            "entity_id": "1101234567890",
            "entity_name": "Acme",
        },
    )
    review.approve(item=sender)
    for i in range(200):
        t = registry.create_template(
            account=account,
            data={
                "sender": "ACMEIN",
                "name": f"T{i}",
                "type": "T",
                "template_id": f"110716152128335{i:04d}",
                "body": f"Dear {{{{name}}}}, your order {{{{id}}}} number {i} has shipped today via Acme",
            },
        )
        review.approve(item=t)
    rng = random.Random(3)
    numbers = [f"91{rng.choice('6789')}{rng.randrange(10**8, 10**9)}" for _ in range(recipients)]
    return account, numbers


def submit_in_process(world):
    from unittest import mock

    from messaging.channels.sms import sending as services
    from messaging.channels.sms.sending import Outgoing

    account, numbers = world
    outgoing = [Outgoing(to=n, sender="ACMEIN", message=TEXT.format(name="Asha")) for n in numbers]
    with mock.patch("messaging.pipeline.submit.enqueue"):
        start = time.perf_counter()
        submission = services.submit(account=account, product_code="T", outgoing=outgoing, name="bench")
        body = json.dumps(
            {
                "status": 200,
                "message": f"{submission.accepted} numbers accepted for delivery.",
                "group_id": str(submission.batch.uuid),
                "data": submission.items,
            }
        )
        elapsed = time.perf_counter() - start
    return submission, (elapsed, len(body))


def post(port, path, body, secret):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.perf_counter()
    conn.request("POST", path, body, {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
    res = conn.getresponse()
    payload = res.read()
    elapsed = time.perf_counter() - start
    assert res.status == 200, payload[:300]
    conn.close()
    return elapsed, float(res.getheader("Server-Timing").split("dur=")[1]) / 1000, payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="measured requests per endpoint (after a warm-up)")
    parser.add_argument("--custom", action="store_true", help="send/json nodes carry a per-recipient custom id")
    parser.add_argument("--floor-rounds", type=int, default=3, help="floor COPYs before and after the requests")
    parser.add_argument("--skip-classic", action="store_true", help="only send/json through gunicorn")
    args = parser.parse_args()
    # The in-process send, the warm-up and the measured requests go to one account within a
    # minute: the recipients budget (checked as usual) must not be what the run measures.
    os.environ.setdefault("SEND_RECIPIENTS_PER_MINUTE", "100000000")
    setup_django()
    teardown = scratch_database()
    try:
        import bench_bulk_floor
        import redis
        from django.conf import settings

        from accounts.services.apikeys import create_api_key

        settings.CELERY_TASK_ALWAYS_EAGER = False  # enqueue only: dispatch is measured elsewhere
        world = make_world(args.recipients)
        account, numbers = world
        submission, (elapsed, size) = submit_in_process(world)
        service_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} recipients={len(numbers)}")
        print(
            f"in process, submit() + JSON: accepted {submission.accepted} in {elapsed:.2f} s "
            f"({len(numbers) / elapsed:,.0f}/s); response {size / 1e6:.1f} MB; peak RSS {service_peak_mb:.0f} MB"
        )
        floor = bench_bulk_floor.measure(submission.batch.pk, rounds=args.floor_rounds)
        print(bench_bulk_floor.describe(floor))
        floor_s = statistics.median(floor["message"])
        batch_pk = submission.batch.pk
        del submission

        account.api_rate_limit = 1_000_000
        account.save()
        _, secret = create_api_key(account=account, name="bench")
        broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        server, port = start_gunicorn(workers=1, broker=broker, timeout=300)
        names = iter(f"{a}{b}" for a in NAMES for b in NAMES)
        try:
            worker = worker_pids(server)[0]
            base_mb = peak_rss_mb(worker)
            bodies = {
                "send/json": lambda text: json.dumps(
                    {
                        "root": {"sender": "ACMEIN", "service": "T", "message": text, "name": "bench"},
                        "nodes": [
                            {"to": n, "custom": f"c{i}"} if args.custom else {"to": n} for i, n in enumerate(numbers)
                        ],
                    }
                ),
                "send": lambda text: json.dumps(
                    {"sender": "ACMEIN", "service": "T", "message": text, "to": ",".join(numbers)}
                ),
            }
            timings = {}
            for endpoint, make_body in bodies.items():
                if endpoint == "send" and args.skip_classic:
                    continue
                for round_ in range(args.rounds + 1):
                    label = "warm-up" if round_ == 0 else f"run {round_}"
                    body = make_body(TEXT.format(name=next(names)))
                    cpu_before = cpu_seconds(worker)
                    took, server_s, payload = post(port, f"/api/v2/sms/{endpoint}", body, secret)
                    answer = json.loads(payload)
                    if round_:
                        timings.setdefault(endpoint, []).append(took)
                    print(
                        f"gunicorn POST /api/v2/sms/{endpoint} ({len(body) / 1e6:.1f} MB in, "
                        f"{len(payload) / 1e6:.1f} MB out) {label}: {answer['message']} answered in {took:.2f} s "
                        f"(server-side {server_s:.2f} s, "
                        f"worker CPU {cpu_seconds(worker) - cpu_before:.2f} s); worker peak RSS "
                        f"{peak_rss_mb(worker):.0f} MB (idle {base_mb:.0f} MB)"
                    )
                    del body, payload, answer
            again = bench_bulk_floor.measure(batch_pk, rounds=args.floor_rounds)
            print("after the requests, " + bench_bulk_floor.describe(again))
            floor_s = statistics.median(floor["message"] + again["message"])
            for endpoint, values in timings.items():
                best, med = min(values), statistics.median(values)
                print(
                    f"{endpoint}: median {med:.2f} s, best {best:.2f} s; "
                    f"floor (median of {2 * args.floor_rounds}) {floor_s:.2f} s; "
                    f"ratio {med / floor_s:.2f}x (best {best / floor_s:.2f}x); "
                    f"worker peak RSS {peak_rss_mb(worker):.0f} MB"
                )
        finally:
            server.terminate()
            server.wait(10)
            redis.Redis.from_url(broker).flushdb()
    finally:
        teardown()


if __name__ == "__main__":
    main()
