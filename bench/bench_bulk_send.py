"""Accept a 100,000-recipient bulk send (scrub, price, pay, persist, enqueue) and time it.

Measures the service call the API makes (`messaging.sending.services.submit`) plus the JSON
rendering of the response; prints elapsed seconds and the process's peak memory.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
          ../.venv/bin/python bench_bulk_send.py [--recipients 100000]
"""

import argparse
import json
import random
import resource
import time

from _setup import scratch_database, setup_django


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
        from messaging.pricing.services import save_price
        from messaging.review import services as review
        from messaging.senders import services as registry
        from messaging.sending import services
        from messaging.sending.services import Outgoing

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
        with mock.patch("messaging.sending.services._enqueue"):
            start = time.perf_counter()
            submission = services.submit(account=account, service_code="T", outgoing=outgoing, name="bench")
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

        # The same size of send through the whole HTTP stack (auth, parsing, envelope), test client.
        from rest_framework.test import APIClient

        from accounts.services.apikeys import create_api_key

        account.api_rate_limit = 1_000_000
        account.save()
        _, secret = create_api_key(account=account, name="bench")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        text2 = text.replace("Asha", "Ravi")  # a new text: the repetition rule would refuse a resend
        with mock.patch("messaging.sending.services._enqueue"):
            start = time.perf_counter()
            res = client.post(
                "/api/v2/sms/send",
                {"sender": "ACMEIN", "service": "T", "message": text2, "to": ",".join(numbers)},
                format="json",
            )
            http_elapsed = time.perf_counter() - start
        assert res.status_code == 200, res.content[:300]
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"through HTTP (POST /api/v2/sms/send): {http_elapsed:.2f} s; {res.json()['message']}; "
            f"peak RSS {peak_mb:.0f} MB (test client holds request and response in the same process)"
        )
    finally:
        teardown()


if __name__ == "__main__":
    main()
