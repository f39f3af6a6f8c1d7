"""SSRF: webhook URLs cannot reach private, loopback, link-local or metadata addresses, in any
spelling, through DNS (checked at connect time, so rebinding cannot slip through) or redirects."""

import asyncio
import socket

import httpcore
import httpx
import pytest

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import services, worker
from messaging.webhooks.models import Attempt
from portal.core import events, outbound
from portal.core.outbound import Refused, check_address, check_url, pinned_client

PRIVATE = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "0.0.0.0",
    "100.64.0.1",
    "100.100.100.200",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",
    "2002:a00:1::1",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_reserved_addresses_are_refused(address):
    with pytest.raises(Refused):
        check_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address):
    check_address(address)


def test_loopback_switch_opens_loopback_only():
    check_address("127.0.0.1", allow_loopback=True)
    check_address("::1", allow_loopback=True)
    check_address("::ffff:127.0.0.1", allow_loopback=True)
    for address in ("10.0.0.1", "169.254.169.254", "192.168.0.1", "fd00:ec2::254", "0.0.0.0"):
        with pytest.raises(Refused):
            check_address(address, allow_loopback=True)


def test_the_switch_is_off_by_default():
    from django.conf import settings

    assert settings.WEBHOOKS_ALLOW_LOOPBACK is False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]:8080/",
        "http://[::ffff:7f00:1]/",
        "http://10.1.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/",
        "http://app.localhost/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0177.0.0.1/",  # octal
        "http://0x7f.0.0.1/",  # hex
        "http://017700000001/",  # octal, one number
        "http://127.1/",  # short form
    ],
)
def test_every_spelling_of_a_private_address_is_refused(url):
    # Literal and numeric forms are refused without any DNS lookup (getaddrinfo parses them locally).
    with pytest.raises(Refused):
        check_url(url, resolve_host=True)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http://u:p@example.com/", "//x"]
)
def test_only_http_urls_without_credentials(url):
    with pytest.raises(Refused):
        check_url(url)


def _resolve_to(monkeypatch, *addresses):
    def fake(host, port=None, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


class _Connected(Exception):
    pass


def _record_connects(monkeypatch):
    seen = []

    def connect(self, host, port, *args, **kwargs):
        seen.append(host)
        raise httpcore.ConnectError("stop here")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    return seen


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(monkeypatch):
    _resolve_to(monkeypatch, "10.0.0.8")
    seen = _record_connects(monkeypatch)
    with pytest.raises(Refused), pinned_client(timeout=1) as client:
        client.get("http://internal.example.com/")
    assert seen == []


def test_one_private_answer_among_public_ones_is_refused(monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34", "192.168.0.10")
    seen = _record_connects(monkeypatch)
    with pytest.raises(Refused), pinned_client(timeout=1) as client:
        client.get("http://mixed.example.com/")
    assert seen == []


def test_the_socket_goes_to_the_checked_address_not_a_second_lookup(monkeypatch):
    """DNS rebinding: a name that answers public once and private next is connected to the address
    that was checked; the connection never resolves the name again."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port=None, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (x, port)) for x in next(answers)
        ],
    )
    seen = _record_connects(monkeypatch)
    with pytest.raises(httpx.ConnectError), pinned_client(timeout=1) as client:
        client.get("http://rebind.example.com/")
    assert seen == ["93.184.216.34"]


def test_pinned_clients_do_not_follow_redirects():
    assert pinned_client(timeout=1).follow_redirects is False


def test_the_worker_refuses_a_private_target_at_connect_time(account, monkeypatch, settings, clock):
    """End to end through the real client: the webhook's name resolves to the metadata address."""
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    _resolve_to(monkeypatch, "169.254.169.254")
    connects = []

    async def connect(*args, **kwargs):
        connects.append(args)
        raise OSError("stop")

    monkeypatch.setattr(asyncio, "open_connection", connect)
    webhook = services.create_webhook(account=account, data={"name": "x", "uri": "http://rebinding.example.net/x"})
    services.create_subscription(
        account=account, data={"event": "sms:message:status", "identity": "all", "webhook_id": str(webhook.uuid)}
    )
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={"id": "g:1"})
    worker.run(seconds=5, clock=clock)
    attempt = Attempt.objects.get()
    assert attempt.error == outbound.PRIVATE and not attempt.success and connects == []


def test_a_redirect_to_metadata_is_logged_not_followed(account, settings, clock):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    calls = []

    def handler(request):
        calls.append(str(request.url))
        return httpx.Response(301, headers={"location": "http://169.254.169.254/latest/meta-data/"})

    webhook = services.create_webhook(account=account, data={"name": "x", "uri": "https://hooks.example.com/"})
    events.emit(account=account, type=SMS_MESSAGE_STATUS, payload={"id": "g:1"}, webhook_id=str(webhook.uuid))
    worker.run(
        seconds=5, clock=clock, client_factory=lambda t: httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    assert calls == ["https://hooks.example.com/"]
    assert "not followed" in Attempt.objects.get().error
