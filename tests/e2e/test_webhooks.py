"""A customer creates a webhook, sends it a test event and reads the signed delivery in the log."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from messaging.webhooks import signing
from messaging.webhooks.models import Webhook
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    """A local receiver on 127.0.0.1 (loopback allowed for this test only); stops with the test."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((dict(self.headers), body))
            answer = b'{"received":true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/dlr", seen
    server.shutdown()
    server.server_close()


def test_create_webhook_send_test_event_and_read_the_log(page, site, receiver):
    url, seen = receiver
    _, owner = make_account(name="Hooks Co")

    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()

    page.get_by_role("link", name="New webhook").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill("Delivery reports")
    dialog.get_by_label("URL").fill(url)
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_text("Webhook Delivery reports created.")).to_be_visible()

    page.get_by_role("link", name="Delivery reports").click()
    page.get_by_label("Event", exact=True).select_option("sms:message:status")
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#test-result")).to_contain_text("queued")
    expect(page.locator("#test-result")).to_contain_text("as the flat payload")
    recent = page.locator("#recent-deliveries")  # shown at once, refreshed until it is done
    expect(recent).not_to_contain_text("No deliveries yet")
    expect(recent).to_contain_text("Delivered")

    recent.get_by_role("link", name="Full delivery log").click()
    table = page.locator("#delivery-table")
    expect(table).to_contain_text("sms:message:status")
    expect(table).to_contain_text("Delivered")
    table.locator("tbody a").first.click()
    expect(page.get_by_role("heading", name="Attempt 1 · Success")).to_be_visible()
    expect(page.locator(".attempt")).to_contain_text("HTTP 200")
    expect(page.locator(".attempt")).to_contain_text('"received": true')

    assert len(seen) == 1
    headers, body = seen[0]
    webhook = Webhook.objects.get()
    assert signing.verify(headers["Signature"], key=str(webhook.uuid), content=body)
    assert json.loads(body)["status"] == "DELIVRD"
