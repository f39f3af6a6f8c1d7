"""Webhook URLs are refused when saved whenever their connection would be refused: every spelling
the resolver reads as an address, and names the hosts file maps, go through the one parser
(`portal.core.net.host_address`) that the connection uses too. No lookup happens at save time."""

import socket

import pytest

from messaging.webhooks.models import Webhook
from messaging.webhooks.services import LOOPBACK_HINT
from portal.core import net, outbound
from portal.core.net import host_address

LOOPBACK_SPELLINGS = [
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F.1",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "0177.1",
    "017700000001",
    "127.000.000.001",
    "0",  # 0.0.0.0
    "0x0a.1",  # 10.0.0.1
    "0xa9fea9fe",  # 169.254.169.254
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:0:0:1]",
]
NOT_LOOPBACK = {"0", "0x0a.1", "0xa9fea9fe"}
PRIVATE = "The URL points to a private or reserved address."


def refusal(loopback):
    """Loopback refusals name the switch that opens them in development."""
    return f"{PRIVATE} {LOOPBACK_HINT}" if loopback else PRIVATE


@pytest.fixture
def no_lookups(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no DNS lookup at save time")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def hosts_file(tmp_path, monkeypatch):
    path = tmp_path / "hosts"
    path.write_text(
        "# the machine's own names\n127.0.0.1\tlocalhost vm\n127.0.1.1 build-box.internal  # alias\n"
        "::1 ip6-localhost ip6-loopback\n10.0.0.5 db\n93.184.216.34 partner-gateway\n"
    )
    monkeypatch.setattr(net, "HOSTS_FILE", str(path))
    return path


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_address_spelling_is_refused_at_save_time(api_client, host, no_lookups):
    res = api_client.post("/api/v2/developer/webhooks", {"name": "x", "uri": f"https://{host}/hook"}, format="json")
    assert res.status_code == 422
    assert res.json()["errors"] == {"uri": [refusal(host not in NOT_LOOPBACK)]}
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("name", ["vm", "VM.", "build-box.internal", "ip6-loopback", "db"])
def test_names_the_hosts_file_maps_to_private_addresses_are_refused(api_client, hosts_file, name, no_lookups):
    res = api_client.post("/api/v2/developer/webhooks", {"name": "x", "uri": f"http://{name}:8080/"}, format="json")
    assert res.status_code == 422 and res.json()["errors"]["uri"] == [refusal(name != "db")]


def test_public_hosts_file_names_and_other_names_are_saved(api_client, hosts_file, no_lookups):
    for uri in ("https://partner-gateway/hook", "https://hooks.example.com/x", "https://93.184.216.34/"):
        res = api_client.post("/api/v2/developer/webhooks", {"name": "x", "uri": uri}, format="json")
        assert res.status_code == 200, (uri, res.json())


def test_the_page_refuses_them_too(user_client, no_lookups):
    form = {
        "name": "x",
        "uri": "https://0x7f.1/",
        "status": "1",
        "kind": "standard",
        "method": "POST",
        "body_format": "raw",
    }
    res = user_client.post("/developer/webhooks/new/", form)
    assert res.status_code == 422 and "The URL points to a private or reserved address." in res.content.decode()


@pytest.mark.parametrize("host", [h.strip("[]") for h in LOOPBACK_SPELLINGS])
def test_the_connection_reads_the_host_with_the_same_parser(host, no_lookups):
    # A literal host is checked without a lookup at connect time as well: one parser for both.
    with pytest.raises(outbound.Refused):
        outbound.public_addresses(host, 443)


def test_the_parser_reads_hosts_as_the_resolver_does():
    # Spellings compared with glibc's getaddrinfo on loopback (no network needed for literals).
    for host in ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "1.1.65535", "1.2.3.0377", "0", "00"]:
        resolved = socket.getaddrinfo(host, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
        assert str(host_address(host)) == resolved
    for name in ["1.2.3.4.5", "08.1.1.1", "4294967296", "1.256.1.1", "1..1", "0x", "127.0.0.1.", "example.com", "1e1"]:
        assert host_address(name) is None
    assert str(host_address("::ffff:10.0.0.1")) == "10.0.0.1" and str(host_address("fe80::1%eth0")) == "fe80::1"
