"""Activity reads as words: every recorded audit action has a label, counts are proper plurals."""

import ast
import re
from pathlib import Path

import pytest

from accounts.models import LedgerEntry, LedgerKind
from accounts.services import audit
from accounts.services.audit import ACTION_LABELS, action_label
from tests.messaging.sending.conftest import sending_setup  # noqa: F401  (shared fixture)

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("accounts", "contacts", "messaging", "portal", "voice")


def recorded_actions():
    """Every action string passed to `audit.record(...)` in the code (f-string parts included)."""
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                is_record = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"
                    and node.args
                )
                if is_record and isinstance(node.args[0], ast.Constant):
                    found[node.args[0].value] = path
    return found


def test_every_literal_action_has_a_label():
    missing = {action: str(path) for action, path in recorded_actions().items() if action not in ACTION_LABELS}
    assert missing == {}


def test_actions_built_at_run_time_have_labels_too():
    # review: f"{kind}.{verdict}"; the scheduled-send cancel: f"{adapter.name}.schedule_cancelled";
    # contacts' subscription audit passes these two.
    for action in ("sender.approved", "template.rejected", "sms.schedule_cancelled", "contact.unsubscribed"):
        assert action in ACTION_LABELS, action
    assert "contact.resubscribed" in ACTION_LABELS


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("segment.created", "Segment created"),
        ("whatsapp.schedule_cancelled", "WhatsApp schedule cancelled"),
        ("voice_call.ended", "Voice call ended"),
    ],
)
def test_an_unlabelled_code_still_reads_as_words(code, words, monkeypatch):
    monkeypatch.delitem(ACTION_LABELS, code, raising=False)
    assert action_label(code) == words


def test_the_dashboard_and_audit_log_show_labels_not_codes(user_client, account):
    audit.record("segment.created", account=account, target="VIPs")
    audit.record("webhook.tested", account=account, target="Orders")
    for url in ("/", "/audit/"):
        html = user_client.get(url).content.decode()
        assert "Segment created" in html and "Webhook test event sent" in html, url
        assert not re.search(r">\s*(segment\.created|webhook\.tested)\s*<", html), url


@pytest.mark.usefixtures("sending_setup")
def test_a_one_message_send_is_one_message_in_the_ledger(
    account, api_client, user_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        res = api_client.post(
            "/api/v2/sms/send",
            {"sender": "ACMEIN", "service": "T", "message": "Your OTP is 4821. Do not share it.", "to": "919876543210"},
            format="json",
        )
    assert res.status_code == 200
    reason = LedgerEntry.objects.get(account=account, kind=LedgerKind.DEBIT).reason
    assert reason.endswith("(1 message)")
    assert "(1 message)" in user_client.get("/billing/").content.decode()


# Catalogued API messages keep the catalog's words (spec: "Message(s) Queued successfully",
# "<n> subscriber(s) imported successfully").
CATALOGUED = ("Message(s) Queued successfully", "subscriber(s) imported successfully")


# "contact(s)" in words shown to people; not a call such as `str(s)` or `data(s) for s in rows`.
BRACKETED_PLURAL = re.compile(r"[a-z]\(s\)(?! for )(?=[ .,:;!?'\"<])(?!\.[a-z])")


def test_no_page_or_message_says_s_in_brackets():
    offenders = []
    paths = [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    paths += list((ROOT / "templates").rglob("*.html"))
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            text = line.replace("http(s)", "")
            if BRACKETED_PLURAL.search(text) and not any(c in text for c in CATALOGUED):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
