"""Bad input, endpoint family by endpoint family: NUL, oversize strings, deep nesting, wrong types,
huge lists, bad files and bodies over the limit each get the catalogued 4xx in the documented
shape, and nothing is written (every table of the portal keeps its row count).

The URL conf is walked: a v2 endpoint that belongs to no family, a family without a row of each
kind it must have, or a route without any row fails the test. Generic rows come first (every
route: NUL in its query string; every route that reads a body: deep JSON, a body that is not an
object, one over the limit); the families' own rows follow.
"""

import json
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from portal.core import tabular
from tests import workbook_files
from tests.api.world import ROUTE_ARGS, World
from tests.factories import make_account

ALL_KINDS = {"nul", "oversize", "deep", "wrong type", "huge list", "too large", "not an object", "bad file"}
WRITES = {"nul", "oversize", "deep", "wrong type", "huge list", "too large", "not an object"}
READS = {"nul", "wrong type"}

# Every DRF route of the API, by family, and the kinds of bad input each family must answer.
FAMILIES = {
    "contacts": (
        ["contacts", "contact", "contacts-merge", "contacts-identifiers", "contact-identifiers", "contact-identifier"],
        WRITES,
    ),
    "contact subscriptions": (
        [
            "contacts-subscriptions",
            "contact-subscriptions",
            "contact-subscription",
            "contact-unsubscribe",
            "contact-unsubscribe-one",
            "contact-resubscribe",
            "contact-resubscribe-one",
        ],
        WRITES,
    ),
    "tags": (["contacts-tags", "contacts-tag"], WRITES),
    "segments": (["contacts-segments", "contacts-segment", "contacts-segment-members"], WRITES),
    "contact imports": (["contacts-imports", "contacts-import"], READS | {"bad file", "too large"}),
    "webhooks": (
        [
            "developer-webhooks",
            "developer-webhook",
            "developer-webhook-test",
            "developer-subscriptions",
            "developer-subscription",
        ],
        WRITES,
    ),
    "unsubscribers": (["sms-unsubscribers", "sms-unsubscriber", "sms-unsubscribers-import"], WRITES | {"bad file"}),
    "blocked templates": (
        ["sms-blocked-templates", "sms-blocked-template", "sms-blocked-templates-import", "sms-suppression-import"],
        WRITES | {"bad file"},
    ),
    "senders": (["sms-senders", "sms-sender"], WRITES | {"bad file"}),
    "templates": (["sms-templates", "sms-template"], WRITES),
    "sending": (["sms-send", "sms-send-json", "sms-send-template", "sms-message-send"], WRITES),
    "engage": (["engage-push", "engage-notify"], WRITES),
    "status": (["sms-status", "sms-report"], READS),
    "pricing": (["sms-pricing"], READS),
    "usage": (["sms-activity"], {"wrong type", "nul"}),
    "finance": (["finance-balance", "account-balance", "finance-credits"], WRITES),
    "account": (["auth-me"], {"nul"}),
    "whatsapp templates": (["whatsapp-templates", "whatsapp-template"], WRITES),
    "whatsapp unsubscribers": (
        ["whatsapp-unsubscribers", "whatsapp-unsubscriber", "whatsapp-unsubscribers-import"],
        WRITES | {"bad file"},
    ),
    "whatsapp sending": (["whatsapp-send-template", "whatsapp-message-send"], WRITES),
    "whatsapp status": (["whatsapp-message-status"], READS),
    "whatsapp pricing": (["whatsapp-pricing"], READS),
    "whatsapp media": (["whatsapp-media-list", "whatsapp-media"], READS | {"bad file", "too large"}),
    "whatsapp opt-out": (["whatsapp-optout", "whatsapp-optout-number"], WRITES),
    "voice calls": (["voice-outgoing-send", "voice-outgoing-bulk", "voice-outgoing-tts", "voice-c2c"], WRITES),
    "voice reports": (
        ["voice-callstatus", "voice-calls", "voice-recordings", "voice-pricing", "voice-conferences", "vmn-logs"],
        READS,
    ),
    "voice sounds": (["voice-sounds"], {"nul", "bad file", "too large"}),
    "voice conferences": (["voice-conference-create"], WRITES - {"huge list"}),
    "voice unsubscribers": (
        ["voice-unsubscribers", "voice-unsubscriber", "voice-unsubscribers-import"],
        WRITES | {"bad file"},
    ),
    "keys": (["token-generate", "token-refresh"], {"nul"}),
}
NOT_ENDPOINTS = {"api_schema", "api_docs"}  # the schema and its page take no input
ENGAGE = {"engage-push", "engage-notify"}
SENDS = set(FAMILIES["sending"][0]) | ENGAGE

LONG = "x" * 10_000
HUGE_TEXT = "x" * 200_000


@dataclass
class Row:
    route: str
    kind: str
    method: str = "post"
    body: object = None  # a dict (JSON), str/bytes (sent as `content_type`), or a callable(world)
    query: str = ""
    fmt: str = "json"  # json | raw | form | multipart
    content_type: str = "application/json"
    status: int = 422
    errors: tuple = ()  # fields the 422 must name
    message: str = ""  # the exact message, where it is the point of the row
    settings: dict = field(default_factory=dict)

    @property
    def id(self):
        return f"{self.route}-{self.method}-{self.kind}-{self.query or ''}{'-'.join(self.errors)}"


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            cls = getattr(p.callback, "cls", None)
            if isinstance(cls, type) and issubclass(cls, APIView) and p.name not in NOT_ENDPOINTS:
                yield p.name, cls


ROUTES = dict(_walk(get_resolver().url_patterns))


def _reads_body(cls, method):
    source = _source(getattr(cls, method))
    return any(s in source for s in ("request.data", "body(request)", "_data(request)", "_accept(", "_send(request"))


def _source(function):
    import inspect

    return inspect.getsource(function)


def _generic_rows():
    rows = []
    for name, cls in ROUTES.items():
        methods = [m for m in ("get", "post", "put", "delete") if hasattr(cls, m)]
        first = methods[0]
        rows.append(Row(name, "nul", method=first, query="?note=a%00b", errors=("note",)))
        for method in methods:
            if method in ("post", "put") and _reads_body(cls, method):
                rows += [
                    Row(name, "deep", method=method, body="[" * 40 + "]" * 40, fmt="raw", status=400),
                    Row(name, "not an object", method=method, body='["a", "b"]', fmt="raw", status=400),
                    Row(
                        name,
                        "too large",
                        method=method,
                        body={"pad": "x" * 3000},
                        status=413,
                        settings={
                            "API_MAX_BODY_BYTES": 2048,
                            "SEND_JSON_MAX_BODY_BYTES": 2048,
                            "VOICE_BULK_MAX_BODY_BYTES": 2048,
                            "MAX_UPLOAD_BYTES": 2048,
                        },
                    ),
                ]
    return rows


def csv_file(data, name="list.csv"):
    return SimpleUploadedFile(name, data if isinstance(data, bytes) else data.encode())


BIG_CELL = "x" * (tabular.CELL_MAX_CHARS + 1)
NUMBERS = [f"4474{i:08d}" for i in range(100_001)]
CHANNEL_SEND = {
    "channels": [{"name": "sms", "from": "AcmeUK", "meta": {"service": "G"}}],
    "recipient": {"to": ["447400123456"]},
    "message": {"type": "text", "payload": {"text": "Hello"}},
}
WA_SEND = {
    "channels": [{"name": "whatsapp", "from": "447400555000"}],
    "recipient": {"to": ["447400123456"]},
    "message": {"type": "text", "payload": {"text": "Hello"}},
}


def WA_TEMPLATE(world):  # noqa: N802 - a constant built once the business number exists
    world.whatsapp_number
    return {"type": "text", "name": "hello", "category": "utility", "language": "en", "is_conversation": True,
            "number": "447400555000", "payload": {"type": "text", "payload": {"text": "Hello"}}}  # fmt: skip


SEGMENT_EDIT = {
    "name": "VIPs",
    "positive_tags": ["vip"],
    "positive_tags_operator": "any",
    "negative_tags": [],
    "negative_tags_operator": "any",
}

FAMILY_ROWS = [
    # contacts
    Row(
        "contacts",
        "nul",
        body={"identity": "c-9", "phone": "447400123450", "last_name": "a\x00"},
        errors=("last_name",),
    ),
    Row(
        "contacts", "oversize", body={"identity": "c-9", "phone": "447400123450", "company": LONG}, errors=("company",)
    ),
    Row("contacts", "oversize", body={"identity": LONG, "phone": "447400123450"}, errors=("identity",)),
    Row(
        "contacts",
        "wrong type",
        body={"identity": "c-9", "phone": "447400123450", "attributes": ["a"]},
        errors=("attributes",),
    ),
    Row(
        "contacts", "wrong type", body={"identity": "c-9", "phone": "447400123450", "tags": {"a": 1}}, errors=("tags",)
    ),
    Row(
        "contacts",
        "huge list",
        body={"identity": "c-9", "phone": "447400123450", "tags": [f"t{i}" for i in range(101)]},
        errors=("tags",),
    ),
    Row(
        "contacts",
        "huge list",
        body={"identity": "c-9", "phone": "447400123450", "attributes": {f"k{i}": 1 for i in range(101)}},
        errors=("attributes",),
    ),
    Row("contacts", "nul", method="get", query="?filter%5Bq%5D=%00", errors=("filter[q]",)),
    Row(
        "contacts",
        "huge list",
        method="get",
        query="?filter%5Btag%5D=" + ",".join(map(str, range(101))),
        errors=("filter[tag]",),
    ),
    Row(
        "contacts",
        "wrong type",
        method="get",
        query="?filter%5Bcreated_from%5D=yesterday",
        errors=("filter[created_from]",),
    ),
    Row("contact", "nul", method="put", body={"first_name": "\x00"}, errors=("first_name",)),
    Row("contact", "oversize", method="put", body={"city": LONG}, errors=("city",)),
    Row("contact", "wrong type", method="put", body={"birth_date": ["2020-01-01"]}, errors=("birth_date",)),
    Row("contacts-merge", "wrong type", body={"origin": {"id": 1}, "destination": "x"}, errors=("origin",)),
    Row("contacts-merge", "huge list", body={"origin": list(range(100_000)), "destination": 1}, errors=("origin",)),
    Row("contacts-identifiers", "nul", method="get", query="?filter%5Bvalue%5D=%00", errors=("filter[value]",)),
    Row("contact-identifiers", "nul", body={"type": "email", "value": "a\x00@example.com"}, errors=("value",)),
    Row("contact-identifiers", "oversize", body={"type": "custom", "value": LONG}, errors=("value",)),
    Row("contact-identifiers", "wrong type", body={"type": ["email"], "value": "a@example.com"}, errors=("type",)),
    Row("contact-identifier", "nul", method="put", body={"type": "email", "value": "\x00"}, errors=("value",)),
    # contact subscriptions
    Row(
        "contact-subscriptions",
        "nul",
        body={"subscriptions": [{"channel": "sms\x00"}]},
        errors=("subscriptions.0.channel",),
    ),
    Row(
        "contact-subscriptions",
        "oversize",
        body={"subscriptions": [{"channel": LONG}]},
        errors=("subscriptions.0.channel",),
    ),
    Row("contact-subscriptions", "wrong type", body={"subscriptions": {"channel": "sms"}}, errors=("subscriptions",)),
    Row(
        "contact-subscriptions",
        "huge list",
        body={"subscriptions": [{"channel": "sms"}] * 101},
        errors=("subscriptions",),
    ),
    Row(
        "contact-subscription",
        "nul",
        method="put",
        body={"channel": "sms", "channel_id": "\x00"},
        errors=("channel_id",),
    ),
    Row(
        "contact-subscription",
        "oversize",
        method="put",
        body={"channel": "sms", "channel_id": LONG},
        errors=("channel_id",),
    ),
    Row(
        "contacts-subscriptions",
        "wrong type",
        method="get",
        query="?filter%5Bstatus%5D=maybe",
        errors=("filter[status]",),
    ),
    # tags
    Row("contacts-tags", "nul", body={"name": "vip\x00"}, errors=("name",)),
    Row("contacts-tags", "oversize", body={"name": LONG}, errors=("name",)),
    Row("contacts-tags", "wrong type", body={"name": ["vip"]}, errors=("name",)),
    Row("contacts-tags", "huge list", body={"name": [f"t{i}" for i in range(100_000)]}, errors=("name",)),
    Row("contacts-tag", "nul", method="put", body={"name": "\x00"}, errors=("name",)),
    Row("contacts-tag", "oversize", method="put", body={"name": LONG}, errors=("name",)),
    # segments
    Row("contacts-segments", "nul", body={"name": "S\x00"}, errors=("name",)),
    Row("contacts-segments", "oversize", body={"name": LONG}, errors=("name",)),
    Row("contacts-segments", "wrong type", body={"name": "S", "rules": "city = x"}, errors=("rules",)),
    Row("contacts-segments", "wrong type", body={"name": "S", "positive_tags": {"vip": 1}}, errors=("positive_tags",)),
    Row(
        "contacts-segments", "huge list", body={"name": "S", "positive_tags": ["vip"] * 101}, errors=("positive_tags",)
    ),
    Row(
        "contacts-segments",
        "huge list",
        body={"name": "S", "rules": {"match": "all", "conditions": [{"field": "city", "op": "eq", "value": "x"}] * 51}},
        errors=("rules",),
    ),
    Row(
        "contacts-segment",
        "nul",
        method="put",
        body={**SEGMENT_EDIT, "negative_tags": ["\x00"]},
        errors=("negative_tags.0",),
    ),
    Row("contacts-segment", "oversize", method="put", body={**SEGMENT_EDIT, "name": LONG}, errors=("name",)),
    Row("contacts-segment-members", "wrong type", method="get", query="?per_page=many", errors=("per_page",)),
    # contact imports
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(f"phone\n{BIG_CELL}\n", "c.csv")},
        errors=("file",),
    ),
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file("phone\n4474\x00\n", "c.csv")},
        errors=("file",),
    ),
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(b"PK\x03\x04 broken", "c.xlsx")},
        errors=("file",),
    ),
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(workbook_files.bomb(), "c.xlsx")},
        errors=("file",),
    ),
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(b"", "c.csv")},
        errors=("file",),
    ),
    Row(
        "contacts-imports",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(b"MZ\x90\x00", "c.exe")},
        errors=("file",),
    ),
    Row("contacts-imports", "bad file", fmt="multipart", body=lambda w: {"replace_tags": "maybe"}, errors=("file",)),
    Row(
        "contacts-imports",
        "too large",
        fmt="multipart",
        body=lambda w: {"file": csv_file("phone\n" + "447400123456\n" * 400, "c.csv")},
        status=413,
        settings={"MAX_UPLOAD_BYTES": 2048},
    ),
    Row("contacts-imports", "wrong type", method="get", query="?filter%5Bstatus%5D=%5B%5D", errors=("filter[status]",)),
    # webhooks
    Row("developer-webhooks", "nul", body={"name": "H", "uri": "https://h.example.com/\x00"}, errors=("uri",)),
    Row("developer-webhooks", "oversize", body={"name": "H", "uri": "https://h.example.com/" + LONG}, errors=("uri",)),
    Row("developer-webhooks", "oversize", body={"name": LONG, "uri": "https://h.example.com/"}, errors=("name",)),
    Row(
        "developer-webhooks",
        "wrong type",
        body={"name": "H", "uri": "https://h.example.com/", "status": "maybe"},
        errors=("status",),
    ),
    Row("developer-webhooks", "wrong type", body={"name": "H", "uri": ["https://h.example.com/"]}, errors=("uri",)),
    Row(
        "developer-webhooks",
        "huge list",
        body={"name": ["H"] * 100_000, "uri": "https://h.example.com/"},
        errors=("name",),
    ),
    Row(
        "developer-webhook",
        "nul",
        method="put",
        body={"name": "H", "uri": "https://h.example.com/", "secret": "\x00"},
        errors=("secret",),
    ),
    Row(
        "developer-webhook",
        "oversize",
        method="put",
        body={"name": "H", "uri": "https://h.example.com/", "secret": "s" * 256},
        errors=("secret",),
    ),
    Row("developer-webhook-test", "wrong type", body={"event": "no:such:event"}, errors=("event",)),
    Row(
        "developer-subscriptions",
        "nul",
        body={"event": "sms:message:status", "identity": "sender:\x00", "webhook_id": "x"},
        errors=("identity",),
    ),
    Row(
        "developer-subscriptions",
        "wrong type",
        body={"event": ["sms:message:status"], "identity": "all", "webhook_id": "x"},
        errors=("event",),
    ),
    Row(
        "developer-subscriptions",
        "oversize",
        body={"event": "sms:message:status", "identity": "sender:" + LONG, "webhook_id": "x"},
        errors=("identity",),
    ),
    # unsubscribers
    Row("sms-unsubscribers", "nul", body={"receiver": "4474001234\x0099"}, errors=("receiver",)),
    Row(
        "sms-unsubscribers",
        "oversize",
        body={"receiver": "447400123499", "type": "sender", "value": LONG},
        errors=("value",),
    ),
    Row("sms-unsubscribers", "wrong type", body={"receiver": "447400123499", "type": ["all"]}, errors=("type",)),
    Row("sms-unsubscribers", "huge list", body={"receiver": NUMBERS[:50_000]}, errors=("receiver",)),
    Row("sms-unsubscriber", "nul", method="put", body={"receiver": "\x00"}, errors=("receiver",)),
    Row(
        "sms-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(f"447400123456\n{BIG_CELL}\n")},
        errors=("file",),
    ),
    Row(
        "sms-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file("447400123456\n\x00\n")},
        errors=("file",),
    ),
    Row(
        "sms-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(b"PK\x03\x04", "list.xlsx")},
        errors=("file",),
    ),
    Row(
        "sms-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(b"", "list.csv")},
        errors=("file",),
    ),
    Row("sms-unsubscribers-import", "bad file", fmt="multipart", body=lambda w: {}, errors=("file",)),
    Row(
        "sms-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(workbook_files.bomb(), "list.xlsx")},
        errors=("file",),
    ),
    Row("sms-unsubscribers", "wrong type", method="get", query="?filter%5Btype%5D=sometimes", errors=("filter[type]",)),
    # blocked templates
    Row("sms-blocked-templates", "nul", body={"template_id": "1207\x00"}, errors=("template_id",)),
    Row("sms-blocked-templates", "oversize", body={"template_id": "1" * 10_000}, errors=("template_id",)),
    Row(
        "sms-blocked-templates",
        "wrong type",
        body={"template_id": "1207161234567890125", "status": "on"},
        errors=("status",),
    ),
    Row(
        "sms-blocked-templates",
        "huge list",
        body={"template_id": [str(i) for i in range(100_000)]},
        errors=("template_id",),
    ),
    Row("sms-blocked-template", "nul", method="put", body={"template_id": "\x00"}, errors=("template_id",)),
    Row(
        "sms-blocked-templates-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(f"1207\n{BIG_CELL}\n")},
        errors=("file",),
    ),
    Row(
        "sms-blocked-templates-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file("1207\x00\n")},
        errors=("file",),
    ),
    Row(
        "sms-blocked-templates-import",
        "wrong type",
        body={"url": {"href": "https://x.example.com/a.csv"}},
        errors=("url",),
    ),
    Row("sms-blocked-templates-import", "nul", body={"url": "https://x.example.com/\x00.csv"}, errors=("url",)),
    # A URL is checked when the import is submitted (scheme, host, addresses), downloaded by the job.
    Row(
        "sms-blocked-templates-import",
        "wrong type",
        body={"url": "gopher://files.example.com/a.csv"},
        errors=("url",),
        message="Only http and https URLs are allowed.",
    ),
    Row(
        "sms-blocked-templates-import",
        "wrong type",
        body={"url": "http://0x7f000001:9/a.csv"},
        errors=("url",),
        message="The URL points to a private or reserved address.",
    ),
    Row("sms-blocked-templates-import", "oversize", body={"url": "https://x.example.com/" + LONG}, errors=("url",)),
    Row(
        "sms-blocked-templates-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(workbook_files.bomb(), "blocked.xlsx")},
        errors=("file",),
    ),
    # senders
    Row("sms-senders", "nul", body={"name": "Acme\x00", "service": "G", "country_code": "GB"}, errors=("name",)),
    Row(
        "sms-senders",
        "oversize",
        body={"name": "Acme2", "service": "G", "country_code": "GB", "entity_id": LONG},
        errors=("entity_id",),
    ),
    Row(
        "sms-senders",
        "oversize",
        body={"name": "Acme2", "service": "G", "country_code": "GB", "entity_name": LONG},
        errors=("entity_name",),
    ),
    Row(
        "sms-senders",
        "wrong type",
        body={"name": "Acme2", "service": {"code": "G"}, "country_code": "GB"},
        errors=("service",),
    ),
    Row(
        "sms-senders",
        "huge list",
        body={"name": ["Acme"] * 100_000, "service": "G", "country_code": "GB"},
        errors=("name",),
    ),
    Row(
        "sms-senders",
        "bad file",
        fmt="multipart",
        body=lambda w: {"name": "Acme2", "service": "G", "country_code": "GB", "document": csv_file(b"MZ", "loa.exe")},
        errors=("document",),
    ),
    Row("sms-sender", "nul", method="put", body={"entity_name": "\x00"}, errors=("entity_name",)),
    Row("sms-sender", "oversize", method="put", body={"entity_id": LONG}, errors=("entity_id",)),
    Row("sms-senders", "nul", method="get", query="?filter%5Bname%5D=%00", errors=("filter[name]",)),
    # templates
    Row(
        "sms-templates",
        "nul",
        body={"sender": "AcmeUK", "name": "T", "type": "T", "body": "Hi {#var#}\x00"},
        errors=("body",),
    ),
    Row(
        "sms-templates",
        "oversize",
        body={"sender": "AcmeUK", "name": LONG, "type": "T", "body": "Hi {#var#} there"},
        errors=("name",),
    ),
    Row(
        "sms-templates",
        "oversize",
        body={"sender": "AcmeUK", "name": "T", "type": "T", "body": "Hi {#var#} " + HUGE_TEXT},
        errors=("body",),
    ),
    Row(
        "sms-templates",
        "wrong type",
        body={"sender": "AcmeUK", "name": "T", "type": "T", "body": 12345},
        errors=("body",),
    ),
    Row(
        "sms-templates",
        "huge list",
        body={"sender": "AcmeUK", "name": "T", "type": "T", "body": ["Hi {#var#}"] * 10_000},
        errors=("body",),
    ),
    Row("sms-template", "nul", method="put", body={"name": "\x00"}, errors=("name",)),
    Row("sms-template", "oversize", method="put", body={"template_id": LONG}, errors=("template_id",)),
    # sending
    Row(
        "sms-send",
        "nul",
        body={"sender": "AcmeUK", "service": "G", "to": "447400123456", "message": "Hi\x00"},
        errors=("message",),
    ),
    Row(
        "sms-send", "nul", fmt="form", body="sender=AcmeUK&service=G&to=447400123456&message=Hi%00", errors=("message",)
    ),
    Row(
        "sms-send",
        "nul",
        method="get",
        query="?sender=AcmeUK&service=G&to=447400123456&message=Hi%00",
        errors=("message",),
    ),
    Row(
        "sms-send",
        "oversize",
        body={"sender": "AcmeUK", "service": "G", "to": "447400123456", "message": "Hi", "custom": LONG},
        errors=("custom",),
    ),
    Row(
        "sms-send",
        "oversize",
        body={"sender": "AcmeUK" * 1000, "service": "G", "to": "447400123456", "message": "Hi"},
        errors=("sender",),
    ),
    Row(
        "sms-send",
        "wrong type",
        body={"sender": "AcmeUK", "service": ["G"], "to": "447400123456", "message": "Hi"},
        errors=("service",),
    ),
    Row(
        "sms-send",
        "wrong type",
        body={"sender": "AcmeUK", "service": "G", "to": "447400123456", "message": "Hi", "max_units": "lots"},
        errors=("max_units",),
    ),
    Row(
        "sms-send",
        "huge list",
        body={"sender": "AcmeUK", "service": "G", "to": NUMBERS, "message": "Hi"},
        errors=("to",),
    ),
    Row(
        "sms-send-json",
        "nul",
        body={
            "root": {"sender": "AcmeUK", "service": "G", "message": "Hi"},
            "nodes": [{"to": "447400123456", "custom": "\x00"}],
        },
        errors=("nodes.0.custom",),
    ),
    Row(
        "sms-send-json",
        "oversize",
        body={
            "root": {"sender": "AcmeUK", "service": "G", "message": "Hi", "custom": LONG},
            "nodes": [{"to": "447400123456"}],
        },
        errors=("custom",),
    ),
    Row(
        "sms-send-json",
        "wrong type",
        body={"root": "AcmeUK", "nodes": {"to": "447400123456"}},
        errors=("root", "nodes"),
    ),
    Row(
        "sms-send-json",
        "huge list",
        body={
            "root": {"sender": "AcmeUK", "service": "G", "message": "Hi"},
            "nodes": [{"to": n} for n in NUMBERS[:100_001]],
        },
        errors=("to",),
        settings={"SEND_MAX_RECIPIENTS": 100_000},
    ),
    Row(
        "sms-send-template",
        "nul",
        body=lambda w: {"id": str(w.template.uuid), "data": {"var1": "\x00"}, "recipient": {"to": ["447400123456"]}},
        errors=("data.var1",),
    ),
    Row(
        "sms-send-template",
        "oversize",
        body=lambda w: {"alias": LONG, "data": {}, "recipient": {"to": ["447400123456"]}},
        errors=("alias",),
    ),
    Row(
        "sms-send-template",
        "wrong type",
        body=lambda w: {"id": str(w.template.uuid), "data": ["x"], "recipient": "447400123456"},
        errors=("data", "recipient"),
    ),
    Row(
        "sms-send-template",
        "huge list",
        body=lambda w: {"id": str(w.template.uuid), "data": {"var1": "x"}, "recipient": {"group_id": list(range(101))}},
        errors=("recipient.group_id",),
    ),
    Row(
        "sms-message-send",
        "nul",
        body={**CHANNEL_SEND, "message": {"type": "text", "payload": {"text": "Hi\x00"}}},
        errors=("message.payload.text",),
    ),
    Row(
        "sms-message-send",
        "oversize",
        body={**CHANNEL_SEND, "message": {"type": "text", "payload": {"text": "x" * 4097}}},
        errors=("message.payload.text",),
    ),
    Row("sms-message-send", "wrong type", body={**CHANNEL_SEND, "channels": {"name": "sms"}}, errors=("channels",)),
    Row("sms-message-send", "huge list", body={**CHANNEL_SEND, "recipient": {"to": NUMBERS}}, errors=("to",)),
    # Engage (its own error shape)
    Row(
        "engage-push",
        "nul",
        body={"type": "transactional", "from": "AcmeUK", "to": "447400123456", "msg": "Hi\x00", "tiny": "0"},
        errors=("msg",),
    ),
    Row(
        "engage-push",
        "oversize",
        body={"type": "transactional", "from": "AcmeUK", "to": "447400123456", "msg": LONG, "tiny": "0"},
        errors=("msg",),
    ),
    Row(
        "engage-push",
        "wrong type",
        body={"type": "transactional", "from": "AcmeUK", "to": "447400123456", "msg": "Hi", "tiny": "yes"},
        errors=("tiny",),
    ),
    Row(
        "engage-notify",
        "huge list",
        body={"type": "transactional", "from": "AcmeUK", "to": NUMBERS, "msg": "Hi", "tiny": "0"},
        errors=("to",),
    ),
    Row("engage-notify", "wrong type", method="get", query="?page_number=first", errors=("page_number",)),
    # status and reports
    Row("sms-status", "nul", method="get", query="?mobile=4474%00", errors=("mobile",)),
    Row("sms-status", "wrong type", method="get", query="?date=yesterday", errors=("date",)),
    Row("sms-report", "wrong type", method="get", query="?daterange=2026-01-01", errors=("daterange",)),
    Row("sms-report", "nul", method="get", query="?daterange=2026-01-01%7C2026-01-02%00", errors=("daterange",)),
    Row("sms-activity", "wrong type", method="get", query="?page=first", errors=("page",)),
    Row("sms-activity", "nul", method="get", query="?page=1%00", errors=("page",)),
    Row("sms-pricing", "wrong type", method="get", query="?filter%5Bstatus%5D=2", errors=("filter[status]",)),
    # WhatsApp
    Row("whatsapp-templates", "oversize", body=lambda w: {**WA_TEMPLATE(w), "name": LONG}, errors=("name",)),
    Row("whatsapp-templates", "wrong type", body=lambda w: {**WA_TEMPLATE(w), "payload": "text"}, errors=("payload",)),
    Row(
        "whatsapp-templates",
        "huge list",
        body=lambda w: {
            **WA_TEMPLATE(w),
            "type": "template",
            "is_conversation": False,
            "payload": {
                "body": {"type": "text", "payload": {"text": "Hi {{name}}"}},
                "choices": {"type": "actions", "actions": [{"type": "url"}] * 10_000},
            },
        },
        errors=("payload.choices.actions",),
    ),  # fmt: skip
    Row("whatsapp-unsubscribers", "nul", body={"receiver": "4474001234\x0099"}, errors=("receiver",)),
    Row(
        "whatsapp-unsubscribers",
        "oversize",
        body={"receiver": "447400123499", "type": "sender", "value": LONG},
        errors=("value",),
    ),
    Row("whatsapp-unsubscribers", "wrong type", body={"receiver": "447400123499", "type": ["all"]}, errors=("type",)),
    Row("whatsapp-unsubscribers", "huge list", body={"receiver": NUMBERS[:50_000]}, errors=("receiver",)),
    Row("whatsapp-unsubscriber", "nul", method="put", body={"receiver": "\x00"}, errors=("receiver",)),
    Row(
        "whatsapp-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file(f"447400123456\n{BIG_CELL}\n")},
        errors=("file",),
    ),
    Row(
        "whatsapp-message-send",
        "oversize",
        body={**WA_SEND, "message": {"type": "text", "payload": {"text": "x" * 4097}}},
        errors=("message.payload.text",),
    ),
    Row(
        "whatsapp-message-send", "wrong type", body={**WA_SEND, "channels": {"name": "whatsapp"}}, errors=("channels",)
    ),
    Row(
        "whatsapp-message-send",
        "huge list",
        body=lambda w: w.whatsapp_number and {**WA_SEND, "recipient": {"to": NUMBERS}},
        errors=("to",),
    ),
    Row(
        "whatsapp-send-template",
        "oversize",
        body={"alias": LONG, "recipient": {"to": ["447400123456"]}},
        errors=("alias",),
    ),
    Row(
        "whatsapp-send-template",
        "wrong type",
        body=lambda w: {"id": str(w.whatsapp_template.uuid), "data": ["x"], "recipient": {"to": ["447400123456"]}},
        errors=("data",),
    ),
    Row(
        "whatsapp-send-template",
        "huge list",
        body=lambda w: {"id": str(w.whatsapp_template.uuid), "data": {"name": "A"}, "recipient": {"to": NUMBERS}},
        errors=("to",),
    ),
    Row(
        "whatsapp-media-list",
        "wrong type",
        fmt="multipart",
        body=lambda w: {"type": "sticker", "file": csv_file(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "a.png")},
        errors=("type",),
    ),
    Row(
        "whatsapp-media-list",
        "bad file",
        fmt="multipart",
        body=lambda w: {"type": "image", "file": csv_file(b"MZ\x90\x00", "a.exe")},
        errors=("file",),
    ),
    Row("whatsapp-message-status", "wrong type", method="get", query="?id=yesterday", errors=("id",)),
    Row(
        "whatsapp-pricing",
        "wrong type",
        method="get",
        query="?filter%5Bsubservice%5D=XYZ",
        errors=("filter[subservice]",),
    ),
    Row("whatsapp-optout", "oversize", body={"number": LONG}, errors=("number",)),
    Row("whatsapp-optout", "wrong type", body={"number": ["447400123456"]}, errors=("number",)),
    Row("whatsapp-optout", "huge list", body={"number": NUMBERS[:50_000]}, errors=("number",)),
    # finance (a reseller's key: the endpoint is for resellers)
    Row("finance-credits", "nul", body={"username": "child\x00", "credits": "1"}, errors=("username",)),
    Row("finance-credits", "oversize", body={"username": LONG, "credits": "1"}, errors=("username",)),
    Row("finance-credits", "wrong type", body={"username": "child", "credits": "lots"}, errors=("credits",)),
    Row("finance-credits", "wrong type", body={"username": {"a": 1}, "credits": ["1"]}, errors=("username", "credits")),
    Row("finance-credits", "huge list", body={"username": ["child"] * 100_000, "credits": "1"}, errors=("username",)),
    Row("finance-balance", "nul", method="get", query="?service=%00", errors=("service",)),
    Row("account-balance", "nul", method="get", query="?service=%00", errors=("service",)),
    # voice
    Row("voice-outgoing-send", "nul", body={"bridge": "918068280001", "to": "9198\x0000001"}, errors=("to",)),
    Row("voice-outgoing-send", "oversize", body={"to": "919800000001", "name": LONG}, errors=("name",)),
    Row("voice-outgoing-send", "wrong type", body={"to": ["919800000001"]}, errors=("to",)),
    Row(
        "voice-outgoing-send",
        "huge list",
        body={"to": "919800000001", "flow_id": "1", "variables": {f"k{i}": "v" for i in range(1000)}},
        errors=("flow_id",),
    ),
    Row("voice-outgoing-send", "wrong type", body={"to": "919800000001", "variables": ["a"]}, errors=("variables",)),
    Row("voice-outgoing-bulk", "nul", body={"payload": [{"to": "9198\x00"}]}, errors=("payload.0.to",)),
    Row("voice-outgoing-bulk", "oversize", body={"payload": [{"to": "919800000001"}], "name": LONG}, errors=("name",)),
    Row("voice-outgoing-bulk", "wrong type", body={"payload": {"to": "919800000001"}}, errors=("payload",)),
    Row(
        "voice-outgoing-bulk",
        "huge list",
        body={"audio": "https://x.example/a.wav", "payload": [{"to": "919800000001"}] * 50_001},
        errors=("payload",),
    ),
    Row("voice-outgoing-tts", "nul", body={"to": "919800000001", "text": "a\x00b"}, errors=("text",)),
    Row("voice-outgoing-tts", "oversize", body={"to": "919800000001", "text": LONG}, errors=("text",)),
    Row(
        "voice-outgoing-tts",
        "wrong type",
        body={"to": "919800000001", "text": "hi", "options": ["a"]},
        errors=("options",),
    ),
    Row(
        "voice-outgoing-tts",
        "huge list",
        body={"to": "919800000001", "text": "hi", "options": {"iteration_tries": 10_000}},
        errors=("options.iteration_tries",),
    ),
    Row("voice-c2c", "nul", body={"from": "9198\x00", "to": "919800000002"}, errors=("from",)),
    Row("voice-c2c", "oversize", body={"from": "919800000001", "to": "919800000002", "mid": LONG}, errors=("mid",)),
    Row("voice-c2c", "wrong type", body={"from": {"a": 1}, "to": "919800000002"}, errors=("from",)),
    Row(
        "voice-c2c",
        "huge list",
        body={"from": "919800000001", "to": "flow:1", "variables": {f"k{i}": "v" for i in range(1000)}},
        errors=("to",),
    ),
    Row("voice-callstatus", "wrong type", method="get", query="?date=soon", errors=("date",)),
    Row("voice-calls", "wrong type", method="get", query="?datetime%5Bend_at%5D=soon", errors=("datetime[end_at]",)),
    Row(
        "voice-recordings",
        "wrong type",
        method="get",
        query="?datetime%5Br.created_at%5D=soon",
        errors=("datetime[r.created_at]",),
    ),
    Row("voice-pricing", "wrong type", method="get", query="?filter%5Bstatus%5D=x", errors=("filter[status]",)),
    Row("voice-conferences", "wrong type", method="get", query="?page=x", errors=("page",)),
    Row("vmn-logs", "wrong type", method="get", query="?date%5Bcreated_at%5D=x", errors=("date",)),
    Row(
        "voice-sounds",
        "bad file",
        fmt="multipart",
        body=lambda w: {"audio": csv_file(b"RIFF not really a wave", "a.wav")},
        errors=("audio",),
    ),
    Row(
        "voice-sounds",
        "bad file",
        fmt="multipart",
        body=lambda w: {"audio": csv_file(b"abc", "a.exe")},
        errors=("audio",),
    ),
    Row(
        "voice-sounds",
        "too large",
        fmt="multipart",
        body=lambda w: {"audio": csv_file(b"x" * (10 * 1024 * 1024 + 1), "a.mp3")},
        errors=("audio",),
    ),
    Row("voice-conference-create", "nul", body={"name": "a\x00"}, errors=("name",)),
    Row("voice-conference-create", "oversize", body={"name": LONG}, errors=("name",)),
    Row("voice-conference-create", "wrong type", body={"max_people": ["3"]}, errors=("max_people",)),
    Row("voice-unsubscribers", "nul", body={"receiver": "9198\x00"}, errors=("receiver",)),
    Row(
        "voice-unsubscribers",
        "oversize",
        body={"receiver": "919800000001", "type": "tag", "value": LONG},
        errors=("value",),
    ),
    Row("voice-unsubscribers", "wrong type", body={"receiver": "919800000001", "type": ["all"]}, errors=("type",)),
    Row("voice-unsubscribers", "huge list", body={"receiver": NUMBERS[:50_000]}, errors=("receiver",)),
    Row("voice-unsubscriber", "nul", method="put", body={"receiver": "\x00"}, errors=("receiver",)),
    Row(
        "voice-unsubscribers-import",
        "bad file",
        fmt="multipart",
        body=lambda w: {"file": csv_file("919800000001\n\x00\n")},
        errors=("file",),
    ),
    # account and keys
    Row("auth-me", "nul", method="get", query="?x=%00", errors=("x",)),
    Row("token-generate", "nul", method="get", query="?name=%00", errors=("name",)),
]

ROWS = _generic_rows() + FAMILY_ROWS


def _tables():
    labels = {"accounts", "contacts", "contact_imports", "sending", "messaging", "suppressions", "senders"}
    names = []
    for model in apps.get_models():
        module = model.__module__.split(".")[0]
        ours = module in ("accounts", "contacts", "messaging", "portal", "voice") or model._meta.app_label in labels
        if ours and model._meta.managed and not model._meta.proxy:
            names.append(model._meta.db_table)
    return sorted(set(names))


def counts():
    """Row counts of every table of the portal, in one query."""
    tables = _tables()
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)  # noqa: S608 - model tables
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


@pytest.fixture
def world(account):
    account.api_rate_limit = 10**9  # the table sends hundreds of requests with one key
    account.is_reseller = True
    account.save()
    make_account(parent=account, name="Child")
    return World(account)


def _path(row, world):
    kwargs = {name: world.arg(obj) for name, obj in ROUTE_ARGS.get(row.route, {}).items()}
    return reverse(row.route, kwargs=kwargs) + row.query


def _request(client, row, world):
    """The row's request, ready to send: the objects its path and body name exist before it runs."""
    path = _path(row, world)
    body = row.body(world) if callable(row.body) else row.body
    send = getattr(client, row.method)
    if row.method in ("get", "delete") and body is None:
        return lambda: send(path)
    if row.fmt == "multipart":
        return lambda: send(path, body or {}, format="multipart")
    if row.fmt == "form":
        return lambda: send(path, body, content_type="application/x-www-form-urlencoded")
    if row.fmt == "raw":
        return lambda: send(path, body, content_type=row.content_type)
    return lambda: send(path, json.dumps(body), content_type="application/json")


def _check_shape(row, res):
    body = res.json()
    if row.route in ENGAGE and res.status_code == 422:
        assert body["status"] == 0 and body["message"] == "Validation Error."
        named = {item["param"] for item in body["data"]}
        assert set(row.errors) <= named, body
        return
    # The classic send answers errors with status "ERROR", as the published CRM connectors read it.
    expected = "ERROR" if row.route == "sms-send" else "failed"
    assert body["status"] == expected and body["code"] == res.status_code, body
    assert isinstance(body["message"], str) and body["message"]
    if res.status_code == 422:
        assert set(body) == {"status", "code", "message", "errors"}, body
        assert set(row.errors) <= set(body["errors"]), body["errors"]
        assert body["message"] == next(iter(body["errors"].values()))[0]
    else:
        assert set(body) == {"status", "code", "message"}, body
    if row.message:
        assert body["message"] == row.message


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_bad_input_is_refused_in_the_catalogued_shape_and_writes_nothing(api_client, world, settings, row):
    for name, value in row.settings.items():
        setattr(settings, name, value)
    if row.route in SENDS:
        world.template  # and its approved sender, so refusals are the row's, not "unknown sender"
    send = _request(api_client, row, world)
    before = counts()
    res = send()
    assert res.status_code == row.status, (res.status_code, res.content[:300])
    _check_shape(row, res)
    after = counts()
    assert {t: (before[t], n) for t, n in after.items() if before[t] != n} == {}


def test_every_route_belongs_to_a_family_and_has_rows():
    listed = [name for names, _ in FAMILIES.values() for name in names]
    assert sorted(set(ROUTES) - set(listed)) == [], "a new endpoint: add it to a family and give it rows"
    assert sorted(set(listed) - set(ROUTES)) == [], "the family names a route that is gone"
    assert len(listed) == len(set(listed))
    with_rows = {row.route for row in FAMILY_ROWS}
    covered = {row.route for row in ROWS}
    assert sorted(set(ROUTES) - covered) == []
    for family, (names, kinds) in FAMILIES.items():
        assert kinds <= ALL_KINDS
        have = {row.kind for row in ROWS if row.route in names}
        assert sorted(kinds - have) == [], f"{family} has no row of these kinds"
        assert with_rows & set(names), f"{family} has only generic rows"


def test_the_table_sees_the_tables():
    assert {"contacts_contact", "sending_message", "accounts_ledgerentry"} <= set(_tables())
    assert re.fullmatch(r"\w+", "events_event") and "events_event" in _tables()
