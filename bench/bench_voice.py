"""Voice on the simulator and text to speech.

1. 10,000 bulk calls (one `outgoing/bulk` request's service call) run to final CDRs with their
   `voice:message:out` events and settlement, in the worker's code path (`voice.run_calls` chunks
   called in process). Prints calls/s from acceptance to the last CDR.
2. TTS: a 20-word sentence rendered by espeak-ng (cold, a new text each time), then served
   from the cache (memory and disk).

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/bench_voice.py [--calls 10000]
"""

import argparse
import statistics
import tempfile
import time

from _setup import percentile, scratch_database, setup_django

WORDS = "please enter the six digit code we sent to your phone followed by the hash key to confirm this payment"


def bench_bulk(calls):
    from django.conf import settings
    from django.db import transaction

    from accounts.services import credits
    from accounts.services.customers import create_customer
    from portal.core.events.models import Event
    from voice.models import Call, NumberKind, VoiceNumber
    from voice.services import calls as voice_calls
    from voice.services import flows, runner

    account, _ = create_customer(email="voice-bench@example.com", password="x", credits_amount="1000000")
    VoiceNumber.objects.create(account=account, number="918068280001", kind=NumberKind.BRIDGE, calls_per_second=500)
    flow = flows.create_flow(
        account=account,
        name="Bench",
        definition={
            "steps": [
                {"id": "hi", "type": "say", "text": "Hello {{Name}}, press 1", "next": "menu"},
                {"id": "menu", "type": "gather", "next": "route"},
                {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "yes"}, "default": "no"},
                {"id": "yes", "type": "say", "text": "Thank you"},
                {"id": "no", "type": "say", "text": "Goodbye"},
            ]
        },
    )
    payload = [{"to": f"9198{i:08d}", "variables": {"Name": f"N{i}"}} for i in range(1, calls + 1)]
    before = credits.balance(account)
    queued = []
    start = time.perf_counter()
    with transaction.atomic():
        # The request's service call; its on_commit hook would queue the chunks to Celery: the
        # benchmark collects them and runs each chunk as the worker task does.
        original = transaction.on_commit
        transaction.on_commit = lambda fn, using=None, robust=False: queued.append(fn)
        try:
            group, placed, _ = voice_calls.bulk(
                account=account, bridge="918068280001", flow_id=flow.pk, payload=payload, name="bench"
            )
        finally:
            transaction.on_commit = original
    accepted = time.perf_counter()
    ids = [c.pk for c in placed]
    for i in range(0, len(ids), 1000):
        runner.run_simulated(ids[i : i + 1000])
    done = time.perf_counter()
    final = Call.objects.filter(group=group, settled=True).exclude(status="queued").count()
    events = Event.objects.filter(type="voice:message:out").count()
    spent = before - credits.balance(account)
    charged = sum(c for c in Call.objects.filter(group=group).values_list("charges", flat=True))
    assert final == calls and events == calls, (final, events)
    assert spent == charged, (spent, charged)
    total = done - start
    engine = settings.DATABASES["default"]["ENGINE"].split(".")[-1]
    print(
        f"simulator bulk: {calls:,} calls accepted in {accepted - start:.2f} s, final CDRs + events + settlement "
        f"in {done - accepted:.2f} s; {calls / total:,.0f} calls/s end to end ({engine})"
    )


def bench_tts(rounds):
    from django.conf import settings

    from voice.services import tts

    settings.DATA_DIR = tempfile.mkdtemp()
    voice, _ = tts.resolve("Joanna")
    words = WORDS.split()
    assert len(words) == 20
    cold, memory, disk = [], [], []
    for i in range(rounds):
        text = " ".join(words[i % 20 :] + words[: i % 20])  # a new 20-word text each round
        text = f"{text}{i}"  # still 20 words, a new text each round
        t0 = time.perf_counter()
        tts.speak(text, voice)
        t1 = time.perf_counter()
        tts.speak(text, voice)
        t2 = time.perf_counter()
        tts._memory.clear()
        tts.speak(text, voice)
        t3 = time.perf_counter()
        cold.append((t1 - t0) * 1000)
        memory.append((t2 - t1) * 1000)
        disk.append((t3 - t2) * 1000)
    for name, values in (("rendered", cold), ("cached (memory)", memory), ("cached (disk)", disk)):
        print(
            f"tts 20 words {name}: median {statistics.median(values):.2f} ms, "
            f"p95 {percentile(values, 95):.2f} ms over {rounds}"
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--tts-rounds", type=int, default=50)
    args = parser.parse_args()
    setup_django()
    bench_tts(args.tts_rounds)
    teardown = scratch_database()
    try:
        bench_bulk(args.calls)
    finally:
        teardown()


if __name__ == "__main__":
    main()
