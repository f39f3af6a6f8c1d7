"""Brand e-mail: the SPF, DKIM and DMARC records to publish, their check through the loopback DNS
server, and DKIM-signed mail through a real SMTP server on loopback, verified against the
record that DNS server publishes."""

import socket

import dkim
import pytest
from aiosmtpd.controller import Controller

from accounts.brands import dns, email_auth, mail
from accounts.brands.models import Brand

pytestmark = pytest.mark.django_db

DOMAIN = "northwind.test"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture
def brand(db):
    brand = Brand(slug="northwind", name="Northwind Messaging", email_from=f"hello@{DOMAIN}", reply_to=f"help@{DOMAIN}")
    email_auth.ensure_dkim_key(brand)
    brand.save()
    return brand


def publish(zone, brand, **wrong):
    for record in email_auth.records_to_publish(brand):
        kind = {DOMAIN: "spf", email_auth.dkim_name(brand): "dkim"}.get(record.name, "dmarc")
        zone.publish(record.name, "TXT", wrong.get(kind, record.value))


def _dns_txt(name, timeout=5):
    """dkimpy's DNS hook, answered through the portal's resolver (the loopback server)."""
    return "".join(dns.lookup(name.decode().rstrip("."), "TXT")).encode()


def test_the_records_to_publish(brand, settings):
    records = {(r.name, r.value) for r in email_auth.records_to_publish(brand)}
    assert (DOMAIN, f"v=spf1 include:{settings.BRAND_SPF_INCLUDE} ~all") in records
    assert (f"brand._domainkey.{DOMAIN}", f"v=DKIM1; k=rsa; p={brand.dkim_public_key}") in records
    assert (f"_dmarc.{DOMAIN}", "v=DMARC1; p=quarantine") in records


def test_the_check_reads_each_record_through_dns(dns_zone, brand):
    assert all(email_auth.check(brand).values())  # nothing published: three problems
    publish(dns_zone, brand, dkim="v=DKIM1; k=rsa; p=AAAA", spf="v=spf1 -all")
    result = email_auth.check(brand)
    assert "public key" in result["dkim"] and "include:" in result["spf"] and result["dmarc"] == ""
    publish(dns_zone, brand)
    assert email_auth.check(brand) == {"spf": "", "dkim": "", "dmarc": ""}
    assert Brand.objects.get(pk=brand.pk).email_check == {"spf": "", "dkim": "", "dmarc": ""}


def test_mail_goes_out_dkim_signed_and_verifies_against_the_published_key(dns_zone, smtp, brand):
    publish(dns_zone, brand)
    mail.send(subject="Your sender is approved", text="ACMEIN is approved.", to=["owner@example.com"], brand=brand)
    [(sender, recipients, raw)] = smtp.messages
    assert sender == f"hello@{DOMAIN}" and recipients == ["owner@example.com"]
    assert b"DKIM-Signature:" in raw and b"d=northwind.test" in raw and b"s=brand" in raw
    assert dkim.verify(raw, dnsfunc=_dns_txt)
    tampered = raw.replace(b"ACMEIN is approved.", b"ACMEIN is refused..")
    assert not dkim.verify(tampered, dnsfunc=_dns_txt)


def test_a_replaced_key_no_longer_verifies_old_dns(dns_zone, smtp, brand):
    publish(dns_zone, brand)
    brand.dkim_private_key = ""
    email_auth.ensure_dkim_key(brand)  # a new key the zone does not publish yet
    mail.send(subject="Hello", text="Body", to=["a@example.com"], brand=brand)
    assert not dkim.verify(smtp.messages[0][2], dnsfunc=_dns_txt)
