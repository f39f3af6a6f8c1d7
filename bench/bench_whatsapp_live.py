"""The WhatsApp pages' live checks: what one debounced keystroke costs the server. The template
builder's check (`templates/preview/`: the API's validation of the whole draft, the phone
preview, each field's problems and count) and a step change; the composer's check
(`send/preview/`: the API's content parser, then the send's own dry run) for 1 and 1,000 typed
numbers. Each case: wall time per request (p50, p95 of `--rounds`) and its database queries.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/bench_whatsapp_live.py
"""

import argparse
import time

from _setup import percentile, scratch_database, setup_django

setup_django()

BUSINESS = "919019120000"
DRAFT = {
    "number": BUSINESS, "kind": "template", "category": "utility", "name": "order_update", "language": "en",
    "header_type": "text", "header_text": "Order {{order}}", "body": "Hi {{name}}, it ships {{day}}.",
    "footer": "Acme", "buttons": "reply", "reply1": "Track", "reply2": "Help",
}  # fmt: skip


def world():
    from django.utils import timezone

    from messaging.channels.whatsapp import message_templates, numbers, window
    from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
    from messaging.models import AccountProduct, Product
    from messaging.pricing.services import save_price
    from tests.factories import make_account

    account, owner = make_account(name="Live Co", credits_amount="10000")
    AccountProduct.objects.create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    number = numbers.onboard(account=account, data={"number": BUSINESS, "display_name": "Live Co",
                                                    "api_base_url": "http://127.0.0.1:9"})  # fmt: skip
    customers = [f"9198765{i:05d}" for i in range(1000)]
    window.refresh(number, customers[0], timezone.now())
    data = {
        "type": "template", "name": "order_update", "category": "utility", "language": "en",
        "is_conversation": False, "number": BUSINESS,
        "payload": {"header": {"type": "text", "payload": {"text": "Order {{order}}"}},
                    "body": {"type": "text", "payload": {"text": "Hi {{name}}, it ships {{day}}."},
                             "params": ["Asha", "today"]}},
    }  # fmt: skip
    template = message_templates.create(account=account, data=data, submit_to_provider=False)
    WhatsappTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.APPROVED)
    return owner, template, customers


def measure(client, url, data, rounds):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.post(url, data, HTTP_HX_REQUEST="true")  # warm
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 422), response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.post(url, data, HTTP_HX_REQUEST="true")
    return percentile(times, 50), percentile(times, 95), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    teardown = scratch_database()
    try:
        from django.test import Client

        owner, template, customers = world()
        client = Client()
        client.force_login(owner)
        samples = {"sample_order": "1042", "sample_name": "Asha", "sample_day": "today"}
        cases = [
            ("builder live, step 2", "/whatsapp/templates/preview/", {"step": 2, **DRAFT}),
            ("builder live, step 2, over limits", "/whatsapp/templates/preview/",
             {"step": 2, **DRAFT, "header_text": "x" * 61, "reply1": "y" * 21}),
            ("builder live, step 3", "/whatsapp/templates/preview/", {"step": 3, **DRAFT, **samples}),
            ("builder Next, step 2 -> 3", "/whatsapp/templates/new/", {"step": 2, "go": "next", **DRAFT}),
            ("composer live, text, 1 number", "/whatsapp/send/preview/",
             {"sender": BUSINESS, "message_type": "text", "text": "Hello", "recipients": customers[0]}),
            ("composer live, text over 4096", "/whatsapp/send/preview/",
             {"sender": BUSINESS, "message_type": "text", "text": "x" * 4097, "recipients": customers[0]}),
            ("composer live, template, 1 number", "/whatsapp/send/preview/",
             {"sender": BUSINESS, "message_type": "template", "template": str(template.uuid),
              "header_param": "1042", "var_name": "Asha", "var_day": "today", "recipients": customers[0]}),
            ("composer live, template, 1,000 numbers", "/whatsapp/send/preview/",
             {"sender": BUSINESS, "message_type": "template", "template": str(template.uuid),
              "header_param": "1042", "var_name": "Asha", "var_day": "today", "recipients": ",".join(customers)}),
        ]  # fmt: skip
        print(f"{'case':42} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for label, url, data in cases:
            p50, p95, queries = measure(client, url, data, args.rounds)
            print(f"{label:42} {p50:8.1f} {p95:8.1f} {queries:8d}")
    finally:
        teardown()


if __name__ == "__main__":
    main()
