import json
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from messaging.webhooks import worker
from tests.messaging.sending.conftest import sending_setup  # noqa: F401  (shared fixture)


class FakeClock:
    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


class Receiver:
    """A MockTransport receiver: records requests, answers with `status` (or a callable)."""

    def __init__(self, status=200, body=b'{"ok":true}', headers=None):
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        status = self.status(request) if callable(self.status) else self.status
        return httpx.Response(status, content=self.body, headers=self.headers)

    def json(self, i=-1):
        return json.loads(self.requests[i].content)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def receiver():
    return Receiver()


@pytest.fixture
def deliver(clock):
    """Run the worker once against a receiver (no network)."""

    def run(receiver, **kwargs):
        factory = lambda timeout: httpx.AsyncClient(transport=httpx.MockTransport(receiver))  # noqa: E731
        return worker.run(seconds=5, clock=clock, client_factory=factory, **kwargs)

    return run
