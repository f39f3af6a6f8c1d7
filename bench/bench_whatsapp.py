"""WhatsApp benchmarks, PostgreSQL, everything on loopback.

  accept  100,000-recipient WhatsApp template send accepted (`submit()`: scrub, price, pay,
          persist) against the same count of SMS, side by side, enqueue patched out.
  intake  signed status webhooks POSTed to `/whatsapp/cloud/webhook`: webhooks/s and statuses/s,
          for one status per webhook (as the provider usually sends) and batched; on gunicorn
          (its WSGI fast path) or, with `--server edge`, on the edge server (`manage.py edge`).
  e2e     accepted → dispatched to the Cloud API simulator over HTTP → sent/delivered/read webhooks
          back through gunicorn → statuses stored forward-only with their events, until every
          message is read. Several business numbers, so Meta's 1,000 msg/s per number is not the cap.

Run:  cd bench && DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
          ../.venv/bin/python bench_whatsapp.py accept [--recipients 100000]
          ../.venv/bin/python bench_whatsapp.py intake [--messages 20000] [--per-webhook 1,100] [--clients 16]
              [--worker-class gthread --threads 8] [--client-processes 2] [--apply-batch 1000]
              [--server edge]
          ../.venv/bin/python bench_whatsapp.py e2e [--messages 20000] [--numbers 4]
"""

import argparse
import json
import os
import sys
import threading
import time
from unittest import mock

from _setup import cpu_seconds, scratch_database, setup_django, start_edge, start_gunicorn, worker_pids
from bench_webhooks import start_receiver, stop_receiver

SECRET = "bench-app-secret"


def _whatsapp_account(numbers=1, base_url="http://127.0.0.1:9"):
    from accounts.services.customers import create_customer
    from messaging.channels.whatsapp import message_templates
    from messaging.channels.whatsapp import numbers as wa_numbers
    from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
    from messaging.models import AccountProduct, Product
    from messaging.pricing.services import save_price

    account, _ = create_customer(email=f"wa{time.time_ns()}@example.com", password="x", credits_amount="10000000")
    AccountProduct.objects.get_or_create(account=account, product=Product.objects.get(code="WAP"))
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    save_price(data={"service": "WAP", "iso": "IN", "sale_price": "0.3", "sub_service": "WUC"})
    made = []
    for i in range(numbers):
        made.append(
            wa_numbers.onboard(
                account=account,
                data={
                    "number": f"9190191200{i:02d}",
                    "display_name": f"Bench {i}",
                    "api_base_url": base_url,
                    "app_secret": SECRET,
                    "throughput": 1000,
                },
            )
        )
    for number in made:
        data = {
            "type": "template",
            "name": "order_update",
            "category": "utility",
            "language": "en",
            "is_conversation": False,
            "number": number.number,
            "payload": {"body": {"type": "text", "payload": {"text": "Hi {{name}}, order {{id}} ships today."}}},
        }
        template = message_templates.create(account=account, data=data, submit_to_provider=False)
        WhatsappTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.APPROVED)
    return account, made


def _template_outgoing(numbers, recipients):
    from messaging.channels.whatsapp.api.channel_request import outgoing_for
    from messaging.channels.whatsapp.content import parse
    from portal.core.errors import FieldErrors

    errors = FieldErrors()
    parsed = parse({"type": "template", "payload": {"name": "order-update", "body_params": ["Asha", "1042"]}}, errors)
    outgoing = []
    share = -(-len(recipients) // len(numbers))
    for i, number in enumerate(numbers):
        outgoing += outgoing_for(recipients[i * share : (i + 1) * share], parsed, sender=number.number)
    return outgoing


def _recipients(count, prefix="9198"):
    return [f"{prefix}{n:08d}" for n in range(count)]


def accept(args):
    from accounts.services.customers import create_customer
    from messaging.channels.sms import sending as sms
    from messaging.channels.whatsapp import sending as whatsapp
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry

    account, numbers = _whatsapp_account()
    sms_account, _ = create_customer(email="sms@example.com", password="x", credits_amount="10000000")
    save_price(data={"service": "G", "iso": "IN", "country_name": "India", "sale_price": "0.15"})
    review.approve(
        item=registry.create_sender(account=sms_account, data={"name": "ACMEIN", "service": "G", "country_code": "IN"})
    )
    text = "Hi Asha, order 1042 ships today."
    results = {"sms": [], "whatsapp": []}
    for round_ in range(args.rounds):
        for channel in ("sms", "whatsapp"):
            recipients = _recipients(args.recipients, prefix=f"91{7 + round_ % 2}{'5' if channel == 'sms' else '6'}")
            if channel == "sms":
                outgoing = [sms.Outgoing(to=n, sender="ACMEIN", message=text + f" r{round_}") for n in recipients]
                call = lambda o=outgoing: sms.submit(account=sms_account, product_code="G", outgoing=o)  # noqa: E731
            else:
                outgoing = _template_outgoing(numbers, recipients)
                call = lambda o=outgoing: whatsapp.submit(account=account, outgoing=o)  # noqa: E731
            with mock.patch("messaging.pipeline.submit.enqueue"):
                start = time.perf_counter()
                submission = call()
                json.dumps({"status": "OK", "data": submission.items})
                elapsed = time.perf_counter() - start
            assert submission.accepted == args.recipients, (channel, submission.accepted)
            results[channel].append(elapsed)
            print(
                f"round {round_ + 1} {channel:8} accepted {submission.accepted:,} in {elapsed:.2f} s "
                f"({args.recipients / elapsed:,.0f}/s)"
            )
    best_sms, best_wa = min(results["sms"]), min(results["whatsapp"])
    print(f"best: SMS {best_sms:.2f} s, WhatsApp {best_wa:.2f} s, WhatsApp / SMS = {best_wa / best_sms:.2f}")


def _messages_with_wamids(account, number, count):
    from messaging.models import Product
    from messaging.pipeline.models import Batch, Message, State
    from messaging.pipeline.status import Progress

    batch = Batch.objects.create(
        account=account, product=Product.objects.get(code="WAP"), channel="whatsapp", total=count
    )
    rows = [
        Message(
            batch=batch,
            account=account,
            index=i + 1,
            mobile=f"9198{i:08d}",
            iso="IN",
            sender=number.number,
            product_code="WAP",
            channel="whatsapp",
            text="x",
            encoding="wa",
            length=1,
            units=1,
            state=State.SUBMITTED,
            status="dispatched",
            progress=Progress.DISPATCHED,
            supplier="cloud_api",
            supplier_message_id=f"wamid.B{batch.pk}.{i}",
        )
        for i in range(count)
    ]
    Message.objects.bulk_create(rows, batch_size=5000)
    return batch, [r.supplier_message_id for r in rows]


def _post_all(port, bodies, clients, processes=1):
    """POST signed bodies from `processes` forked client processes of `clients` threads each,
    on keep-alive connections (http.client: the lean client, so the server is what is measured).
    Returns (seconds, failures)."""
    import multiprocessing

    from messaging.channels.whatsapp.cloud_api import sign

    signed = [(b, sign(SECRET, b)) for b in bodies]
    shares = [signed[p::processes] for p in range(processes)]
    ctx = multiprocessing.get_context("fork")
    failures = ctx.Value("i", 0)
    go = ctx.Event()
    procs = [ctx.Process(target=_client_process, args=(port, share, clients, failures, go)) for share in shares]
    for p in procs:
        p.start()
    time.sleep(0.3)  # every client process forked and waiting
    start = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    return time.perf_counter() - start, [1] * failures.value


def _client_process(port, signed, clients, failures, go):
    import http.client

    position = iter(range(len(signed)))
    lock = threading.Lock()

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(position, None)
            if i is None:
                conn.close()
                return
            body, signature = signed[i]
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
            try:
                conn.request("POST", "/whatsapp/cloud/webhook", body=body, headers=headers)
                res = conn.getresponse()
                res.read()
                ok = res.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                ok = False
            if not ok:
                with failures.get_lock():
                    failures.value += 1

    go.wait()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _status_bodies(number, wamids, per_webhook, statuses=("sent", "delivered", "read")):
    items = [
        {"id": w, "status": s, "timestamp": str(1_700_000_000 + k), "recipient_id": "919800000000"}
        for k, s in enumerate(statuses)
        for w in wamids
    ]
    bodies = []
    for start in range(0, len(items), per_webhook):
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"phone_number_id": number.phone_number_id},
            "statuses": items[start : start + per_webhook],
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": number.waba_id, "changes": [{"value": value, "field": "messages"}]}],
        }
        bodies.append(json.dumps(payload, separators=(",", ":")).encode())
    return bodies


def intake(args):
    from messaging.pipeline.models import Message
    from messaging.pipeline.status import Progress

    try:  # the buffered intake (absent before it was built: statuses are applied in the request)
        from messaging.channels.whatsapp import webhook_buffer
    except ImportError:
        webhook_buffer = None

    account, (number,) = _whatsapp_account()
    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4")  # intake and e2e queue nothing
    if args.server == "edge":
        server, port = start_edge(broker=broker, paths=["/whatsapp/cloud/webhook"])
        serving = "the edge server (one asyncio process)"
    else:
        server, port = start_gunicorn(
            workers=args.workers, broker=broker, worker_class=args.worker_class, threads=args.threads
        )
        serving = f"gunicorn {args.workers} workers, {args.worker_class}, {args.threads} thread(s)"
    print(f"{serving}; client {args.client_processes} process(es) x {args.clients} keep-alive connections")
    try:
        workers = [server.pid] if args.server == "edge" else worker_pids(server)
        for per_webhook in [int(n) for n in args.per_webhook.split(",")]:
            batch, wamids = _messages_with_wamids(account, number, args.messages)
            bodies = _status_bodies(number, wamids, per_webhook)
            # Warm the workers (imports, connections) with a few bad-signature requests first.
            _post_all(port, [b"{}"] * 20, 4)
            cpu_before = sum(cpu_seconds(p) for p in workers)
            elapsed, failures = _post_all(port, bodies, args.clients, args.client_processes)
            cpu = sum(cpu_seconds(p) for p in workers) - cpu_before
            statuses = sum(len(json.loads(b)["entry"][0]["changes"][0]["value"]["statuses"]) for b in bodies)
            applied = ""
            if webhook_buffer is not None:
                # The applier (a worker's task in production) here in the bench process, timed alone.
                start, cpu_start = time.perf_counter(), cpu_seconds(os.getpid())
                while webhook_buffer.drain(seconds=600, limit=args.apply_batch):
                    pass
                took, apply_cpu = time.perf_counter() - start, cpu_seconds(os.getpid()) - cpu_start
                applied = (
                    f"; applier: {len(bodies):,} webhooks in {took:.2f} s = {statuses / took:,.0f} statuses/s "
                    f"(its CPU {apply_cpu:.1f} s)"
                )
            read = Message.objects.filter(batch=batch, progress=Progress.READ).count()
            print(
                f"{per_webhook:>3} status(es)/webhook: {len(bodies):,} webhooks, {statuses:,} statuses "
                f"in {elapsed:.2f} s = {len(bodies) / elapsed:,.0f} webhooks/s, {statuses / elapsed:,.0f} statuses/s; "
                f"workers' CPU {cpu:.1f} s ({cpu / len(bodies) * 1000:.2f} ms per webhook){applied}; "
                f"{read:,}/{args.messages:,} read; failures {len(failures)}"
            )
    finally:
        server.terminate()
        server.wait(10)


def e2e(args):
    from django.conf import settings

    from messaging.channels.whatsapp import sending
    from messaging.channels.whatsapp.simulator.process import SimulatorProcess
    from messaging.pipeline import dispatch
    from messaging.pipeline.models import Message
    from messaging.pipeline.status import Progress
    from messaging.webhooks.models import Delivery
    from portal.core.events.models import Event

    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4")  # intake and e2e queue nothing
    # The pipeline's own capacity is measured: the Cloud API connector's default rate (1,000/s,
    # 800 of it for bulk) would otherwise set the pace; each number keeps its throughput (1,000/s).
    settings.CONNECTOR_RATES = {**settings.CONNECTOR_RATES, "cloud_api": 1_000_000}
    # The webhooks go where production sends them (`--server edge`, deploy/Caddyfile) or to gunicorn.
    if args.server == "edge":
        server, port = start_edge(broker=broker, paths=["/whatsapp/cloud/webhook"])
    else:
        server, port = start_gunicorn(workers=args.workers, broker=broker)
    config = {
        "sent_after": 0.0,
        "delivered_after": 0.2,
        "read_after": 0.4,
        "errors": {},
        "delivered_ratio": 1.0,
        "read_ratio": 1.0,
        "read_without_delivered_ratio": 0.0,
        "duplicate_ratio": 0.05,
        "out_of_order_ratio": 0.05,
        "rate_per_number": 100_000,
        "batch_size": args.per_webhook,
        "webhook_concurrency": args.webhook_concurrency,
        "seed": 1,
    }
    sim = SimulatorProcess(
        webhook_url=f"http://127.0.0.1:{port}/whatsapp/cloud/webhook", app_secret=SECRET, config=config
    )
    applier = _start_applier()
    deliverer = receiver = None
    try:
        sim.start()
        account, numbers = _whatsapp_account(args.numbers, base_url=sim.url)
        webhook, receiver = _customer_webhook(account)
        deliverer = _start_script("_webhook_worker.py")
        outgoing = _template_outgoing(numbers, _recipients(args.messages))
        with mock.patch("messaging.pipeline.submit.enqueue"):
            start = time.perf_counter()
            submission = sending.submit(account=account, outgoing=outgoing)
            accepted_at = time.perf_counter()
        cpu_before = cpu_seconds(os.getpid())
        profiler = _profiler(args.profile)
        dispatch.dispatch(submission.batch.pk)
        dispatched_at = time.perf_counter()
        dispatch_cpu = cpu_seconds(os.getpid()) - cpu_before
        _print_profile(profiler)
        done = Message.objects.filter(batch=submission.batch, progress__gte=Progress.READ)
        while done.count() < args.messages and time.perf_counter() - dispatched_at < args.timeout:
            time.sleep(0.2)
        finished_at = time.perf_counter()
        read = done.count()
        events = Event.objects.filter(type="whatsapp:message:status").count()
        # Every status event delivered to the customer's webhook: the end of the chain.
        delivered = Delivery.objects.filter(webhook=webhook, status="delivered")
        while delivered.count() < events and time.perf_counter() - finished_at < args.timeout:
            time.sleep(0.2)
        delivered_at, deliveries = time.perf_counter(), delivered.count()
        health = sim.control("health")
        total = finished_at - start
        print(
            f"messages {args.messages:,} from {args.numbers} numbers; accepted in {accepted_at - start:.2f} s; "
            f"dispatched over HTTP in {dispatched_at - accepted_at:.2f} s "
            f"({args.messages / (dispatched_at - accepted_at):,.0f} msg/s, dispatcher CPU {dispatch_cpu:.1f} s)"
        )
        print(
            f"all read after {total:.2f} s from the first accept: {read:,} read = {read / total:,.0f} msg/s "
            "end to end; "
            f"{events:,} status events in the outbox; simulator: {health['webhooks']:,} webhooks, "
            f"{health['statuses']:,} statuses, {health['webhook_errors']} webhook errors"
        )
        print(
            f"every status event delivered to the customer's webhook after {delivered_at - start:.2f} s: "
            f"{deliveries:,} of {events:,} signed deliveries; {read / (delivered_at - start):,.0f} msg/s "
            "end to end with them"
        )
    finally:
        for process in (applier, deliverer):
            if process is not None:
                process.terminate()
                process.wait(10)
        if receiver is not None:
            stop_receiver(receiver)
        sim.stop()
        server.terminate()
        server.wait(10)


def _profiler(enabled):
    """A running cProfile of the dispatch when `--profile` asks for one (it slows the dispatch)."""
    if not enabled:
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _print_profile(profiler, top=45):
    if profiler is None:
        return
    import io
    import pstats

    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


def _customer_webhook(account):
    """The account's webhook for `whatsapp:message:status`, at a local receiver that answers 200
    at once (bench_webhooks.py's); returns (webhook, receiver process)."""
    from messaging.webhooks import services
    from messaging.webhooks.models import Subscription

    webhook = services.create_webhook(account=account, data={"name": "events", "uri": "http://placeholder.invalid/"})
    receiver, url = start_receiver("fast", 10**8, 3600, str(webhook.uuid))
    webhook.uri = url  # a loopback receiver: set past the URL checks, as bench_webhooks.py does
    webhook.save()
    Subscription.objects.create(account=account, webhook=webhook, event="whatsapp:message:status", identity="all")
    return webhook, receiver


def _start_script(name):
    """One of the benchmark's helper processes (`name` in bench/) on the scratch database."""
    import subprocess
    from pathlib import Path

    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": "benchmark-only",
        "WEBHOOKS_ALLOW_LOOPBACK": "true",  # the customer's receiver is on 127.0.0.1
    }
    here = Path(__file__).resolve().parent
    return subprocess.Popen([sys.executable, str(here / name)], cwd=here, env=env)  # noqa: S603


def _start_applier():
    """The buffered intake's applier in its own process on the scratch database (None before
    the buffer existed: statuses were applied in the webhook request)."""
    import importlib.util

    if importlib.util.find_spec("messaging.channels.whatsapp.webhook_buffer") is None:
        return None
    return _start_script("_whatsapp_applier.py")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("accept", "intake", "e2e"))
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--per-webhook", default="1,100")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server", default="gunicorn", choices=("gunicorn", "edge"), help="who takes the webhooks")
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--apply-batch", type=int, default=1000)
    parser.add_argument("--numbers", type=int, default=4)
    parser.add_argument("--webhook-concurrency", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--profile", action="store_true", help="e2e: cProfile the dispatch and print it")
    args = parser.parse_args()
    if args.mode == "e2e":
        args.per_webhook = int(args.per_webhook.split(",")[-1])
    setup_django()
    teardown = scratch_database()
    try:
        {"accept": accept, "intake": intake, "e2e": e2e}[args.mode](args)
    finally:
        teardown()


if __name__ == "__main__":
    sys.exit(main())
