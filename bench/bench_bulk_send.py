"""Accept a 100,000-recipient bulk send (scrub, price, pay, persist, enqueue) and time it.

Measures the service call the API makes (`messaging.pipeline.submit.submit`) plus the JSON
rendering of the response; prints elapsed seconds and the process's peak memory.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_bulk_send.py [--recipients 100000]
"""

import argparse
import json
import random
import resource
import time

from _setup import cpu_seconds, peak_rss_mb, scratch_database, setup_django, start_gunicorn, worker_pids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    teardown = scratch_database()
    try:
        from django.conf import settings

        settings.CELERY_TASK_ALWAYS_EAGER = False  # enqueue only: dispatch is measured elsewhere
        from unittest import mock

        from accounts.services.customers import create_customer
        from messaging.channels.sms import sending as services
        from messaging.channels.sms.sending import Outgoing
        from messaging.pricing.services import save_price
        from messaging.review import services as review
        from messaging.senders import services as registry

        account, _ = create_customer(email="bulk@example.com", password="x", credits_amount="1000000")
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
        numbers = [f"91{rng.choice('6789')}{rng.randrange(10**8, 10**9)}" for _ in range(args.recipients)]
        text = "Dear Asha, your order 5512 number 17 has shipped today via Acme"
        outgoing = [Outgoing(to=n, sender="ACMEIN", message=text) for n in numbers]
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
        service_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} recipients={len(outgoing)}")
        print(
            f"service + JSON: accepted {submission.accepted} in {elapsed:.2f} s ({len(outgoing) / elapsed:,.0f}/s); "
            f"response {len(body) / 1e6:.1f} MB; peak RSS {service_peak_mb:.0f} MB; cost {submission.batch.cost}"
        )
        del body, submission, outgoing

        # The same size of send through the whole HTTP stack (auth, parsing, envelope) of a real
        # gunicorn worker on loopback, whose own peak memory is read from /proc.
        import http.client
        import os
        import re

        from accounts.services.apikeys import create_api_key

        account.api_rate_limit = 1_000_000
        account.save()
        _, secret = create_api_key(account=account, name="bench")
        broker = re.sub(r"/\d*$", "/7", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        server, port = start_gunicorn(workers=1, broker=broker)
        try:
            worker = worker_pids(server)[0]
            base_mb = peak_rss_mb(worker)
            for label, text2 in (
                ("warm-up", "Dear Ravi, your order 5512 number 17 has shipped today via Acme"),
                ("measured", "Dear Mira, your order 5512 number 17 has shipped today via Acme"),
            ):
                body = json.dumps({"sender": "ACMEIN", "service": "T", "message": text2, "to": ",".join(numbers)})
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                cpu_before = cpu_seconds(worker)
                start = time.perf_counter()
                conn.request(
                    "POST",
                    "/api/v2/sms/send",
                    body,
                    {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
                )
                res = conn.getresponse()
                payload = res.read()
                http_elapsed = time.perf_counter() - start
                assert res.status == 200, payload[:300]
                server_ms = float(res.getheader("Server-Timing").split("dur=")[1])
                print(
                    f"through gunicorn (POST /api/v2/sms/send, {len(body) / 1e6:.1f} MB in, "
                    f"{len(payload) / 1e6:.1f} MB out), "
                    f"{label}: {json.loads(payload)['message']} answered in {http_elapsed:.2f} s "
                    f"(server-side {server_ms / 1000:.2f} s, worker CPU {cpu_seconds(worker) - cpu_before:.2f} s); "
                    f"worker peak RSS {peak_rss_mb(worker):.0f} MB "
                    f"(idle {base_mb:.0f} MB)"
                )
        finally:
            server.terminate()
            server.wait(10)
            import redis

            redis.Redis.from_url(broker).flushdb()
    finally:
        teardown()


if __name__ == "__main__":
    main()
