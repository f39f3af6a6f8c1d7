"""The WhatsApp Cloud API connector: hands claimed messages to the provider over HTTP, each from
its business number (base URL, token and throughput are the number's), a number's messages at
most at its throughput, several requests in flight at once.

Before sending, each (number, customer) pair's rate is reserved (`pair_rate`): a message over it
waits for its slot in the same chunk rather than provoking 131056. Provider throttling (130429)
slows the number down and the message is tried again instead of failing; any other refusal is
final (`Refused` with the provider's code: refunded by dispatch). Receipts come back through the
status webhooks (`webhook_buffer.py`), not from here."""

import time
from types import SimpleNamespace

from django.conf import settings

from messaging.channels.whatsapp import cloud_api, intake, pair_rate
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp.models import BusinessNumber
from messaging.pipeline import throttle
from messaging.pipeline.connectors import Refused

clock, sleep = time.time, time.sleep  # tests replace them


class CloudApiConnector:
    kind = "cloud_api"
    # The Graph API takes a message handed over twice twice: never resubmit a half-sent chunk.
    idempotent = False

    def __init__(self, *, name="cloud_api", channel="whatsapp", rate=None, options=None):
        self.name, self.channel, self.rate = name, channel, rate
        self.retries = (options or {}).get("throttle_retries", settings.WHATSAPP["throttle_retries"])

    def submit(self, messages):
        numbers = {n.number: n for n in BusinessNumber.objects.filter(number__in={m.sender for m in messages})}
        results = [None] * len(messages)
        by_number = {}
        for i, m in enumerate(messages):
            by_number.setdefault(m.sender, []).append(i)
        for sender, indexes in by_number.items():
            number = numbers.get(sender)
            if number is None or not number.is_active:
                for i in indexes:
                    results[i] = Refused("133010")
                continue
            client = cloud_api.client_for(number)
            bucket = SimpleNamespace(name=f"whatsapp:{number.phone_number_id}", rate=number.throughput)
            due = pair_rate.schedule(number.phone_number_id, [messages[i].mobile for i in indexes], now=clock())
            # Messages over their pair's rate wait for their slot (131056 is never provoked):
            # each wave holds the messages due by then, in the order they became due.
            waves = {}
            for i, at in zip(indexes, due, strict=True):
                waves.setdefault(at, []).append(i)
            for at in sorted(waves):
                wait = at - clock()
                if wait > 0:
                    sleep(wait)
                self._send_wave(client, bucket, messages, waves[at], results)
        return results

    def _send_wave(self, client, bucket, messages, indexes, results):
        start = 0
        while start < len(indexes):
            granted = throttle.take(bucket, len(indexes) - start)
            part = indexes[start : start + granted]
            for i, answer in zip(part, self._send_all(client, bucket, [messages[i] for i in part]), strict=True):
                results[i] = answer
            start += granted

    def _send_all(self, client, bucket, messages):
        """The wamid or `Refused` of each message, sent together; the ones the provider throttled
        (130429) are sent again after the number's bucket is filled, up to `retries` times."""
        answers = [None] * len(messages)
        pending = list(range(len(messages)))
        for attempt in range(self.retries + 1):
            sent = client.send_many([(messages[i].mobile, messages[i].content) for i in pending])
            throttled = []
            for i, answer in zip(pending, sent, strict=True):
                if not isinstance(answer, cloud_api.ProviderError):
                    answers[i] = answer
                elif answer.code == provider_errors.THROTTLED and attempt < self.retries:
                    throttled.append(i)
                else:
                    answers[i] = Refused(answer.code)
            if not throttled:
                break
            # Throttled: fill the number's current second so every sender backs off, then wait.
            throttle.take(bucket, bucket.rate)
            sleep(0.05 * (attempt + 1))
            pending = throttled
        return answers

    def schedule_receipts(self, supplier_ids):
        """After the wamids are recorded (dispatch calls this on commit): statuses the provider
        sent before that — its `sent` webhook often beats our own record of the answer — are in
        the status timeline; apply them now, forward-only like any receipt."""
        intake.replay(self.name, supplier_ids)
