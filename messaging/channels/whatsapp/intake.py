"""What the provider's webhooks tell us, in the Cloud API's webhook shapes (`object:
whatsapp_business_account`, `entry[].changes[].{field, value}`):

- `messages` with `statuses[]`: sent / delivered / read / failed (with `errors[]`) / deleted,
  applied forward-only and idempotently through the pipeline's receipts, each also kept in the
  status timeline (`StatusRecord`);
- `messages` with `messages[]`: customers' messages (every type), stored once per wamid, opening
  the customer-service window, raising `whatsapp:message:in`; a text STOP stops marketing;
- `message_template_status_update`: Meta's review outcome of a template;
- `user_preferences`: a customer stopping or resuming marketing messages.

`verify(body, signature)` checks `X-Hub-Signature-256` against the app secret of the business
numbers the payload names; nothing is read from a payload that fails it."""

import time
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from messaging import consent
from messaging.channels.whatsapp import cloud_api, message_templates, pricing, window
from messaging.channels.whatsapp.events import WHATSAPP_MESSAGE_IN
from messaging.channels.whatsapp.models import BusinessNumber, InboundMessage, StatusRecord
from messaging.pipeline import channels, receipts
from messaging.pipeline.models import Message, SupplierConnector
from messaging.pipeline.status import applies
from portal.core import events

CHANNEL = "whatsapp"
STOP_WORDS = {"STOP", "UNSUBSCRIBE", "STOP PROMOTIONS"}
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


class BadSignature(Exception):
    pass


def _changes(payload):
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else ():
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield entry, change.get("field"), change["value"]


# Business numbers and connector names are read per process at most every CACHE_SECONDS: every
# webhook names them, and they change only when staff edit a number (a new app secret applies
# within that time).
CACHE_SECONDS = 30
_cache = {"at": 0.0, "numbers": {}, "suppliers": ()}


def _numbers_by_id():
    now = time.monotonic()
    if now - _cache["at"] > CACHE_SECONDS:
        rows = list(BusinessNumber.objects.select_related("account"))
        by_id = {}
        for n in rows:
            by_id[("phone", n.phone_number_id)] = n
            by_id.setdefault(("waba", n.waba_id), n)
        configured = SupplierConnector.objects.filter(channel=CHANNEL).values_list("name", flat=True)
        _cache.update(at=now, numbers=by_id, suppliers=("cloud_api", *configured))
    return _cache["numbers"]


def forget():
    """Drop the cached numbers (tests, and staff edits in this process)."""
    _cache["at"] = 0.0


def _ids_named(payload):
    """The (kind, id) keys of the numbers a payload names: phone_number_id (messages) or WABA id."""
    keys = set()
    for entry, _field, value in _changes(payload):
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        if metadata.get("phone_number_id"):
            keys.add(("phone", str(metadata["phone_number_id"])))
        elif entry.get("id"):
            keys.add(("waba", str(entry["id"])))
    return keys


def numbers_named(payload):
    """The business numbers a payload is about: by phone_number_id (messages) or WABA id (templates)."""
    keys = _ids_named(payload)
    if not keys:
        return []
    known = _numbers_by_id()
    found = {known.get(key) for key in keys}
    if None in found:  # a number onboarded moments ago: read it now rather than refuse its webhook
        forget()
        known = _numbers_by_id()
        found = {known.get(key) for key in keys}
    return [n for n in found if n is not None]


def _signed(numbers, body, signature):
    secrets = {n.app_secret for n in numbers}
    return len(secrets) == 1 and cloud_api.signature_ok(secrets.pop(), body, signature or "")


def verify(payload, body, signature):
    """The numbers named, when the body is signed with their (one) app secret; else BadSignature.
    A secret changed moments ago in another process is read again (at most once a second)."""
    numbers = numbers_named(payload)
    if _signed(numbers, body, signature):
        return numbers
    if time.monotonic() - _cache["at"] > 1:
        forget()
        numbers = numbers_named(payload)
        if _signed(numbers, body, signature):
            return numbers
    raise BadSignature


def verify_cached(payload, body, signature):
    """`verify()` from the numbers already cached, without a query (the edge server calls it on
    its event loop): the numbers named when every one is cached and the body is signed with
    their app secret; None when the cache cannot say yes (due for a reload, a number it does not
    hold, a signature that a fresh read of the secrets might accept): `verify()` then decides."""
    if time.monotonic() - _cache["at"] > CACHE_SECONDS:
        return None
    known = _cache["numbers"]
    found = [known.get(key) for key in _ids_named(payload)]
    if not found or None in found:
        return None
    numbers = list(set(found))
    return numbers if _signed(numbers, body, signature) else None


def subscription_challenge(mode, token, challenge):
    """The `hub.challenge` to echo for Meta's verification handshake, or None when refused (not
    a subscribe, or a verify token no business number has)."""
    if mode == "subscribe" and token and BusinessNumber.objects.filter(verify_token=token).exists():
        return challenge
    return None


def _time(value):
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def _suppliers():
    _numbers_by_id()
    return _cache["suppliers"]


def process(payload, numbers, statuses=None):
    """Apply a verified payload; returns counts of what it held. With a `statuses` list, the
    payload's statuses are appended to it as (number, status) for the caller to apply in bulk
    with a batch's others (`apply_statuses`) instead of here."""
    by_phone = {n.phone_number_id: n for n in numbers}
    by_waba = {}
    for n in numbers:
        by_waba.setdefault(n.waba_id, n)
    counts = {"statuses": 0, "moved": 0, "messages": 0, "templates": 0}
    with transaction.atomic(savepoint=False):  # the buffer's batch is the transaction
        for entry, field, value in _changes(payload):
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            number = by_phone.get(str(metadata.get("phone_number_id") or ""))
            if field == "messages" and number is not None:
                found = [s for s in value.get("statuses") or () if isinstance(s, dict)]
                if found:
                    counts["statuses"] += len(found)
                    if statuses is None:
                        counts["moved"] += apply_statuses([(number, s) for s in found])
                    else:
                        statuses.extend((number, s) for s in found)
                inbound = [m for m in value.get("messages") or () if isinstance(m, dict)]
                if inbound:
                    counts["messages"] += _inbound(number, inbound, value.get("contacts") or [])
            elif field == "message_template_status_update":
                counts["templates"] += int(
                    message_templates.apply_provider_update(
                        provider_id=value.get("message_template_id"),
                        status=str(value.get("event") or ""),
                        reason=str(value.get("reason") or "") if value.get("reason") not in (None, "NONE") else "",
                    )
                )
            elif field == "user_preferences":
                owner = by_waba.get(str(entry.get("id") or "")) or number
                if owner is not None:
                    _preferences(owner, value.get("user_preferences") or [])
    return counts


def apply_statuses(items):
    """Apply (number, status object) pairs, in the order they arrived, as one query set: the
    timeline rows in bulk, the messages locked in id order, then each message's statuses
    walked in arrival order against its current progress (forward-only, as if applied one by
    one) and the moves written in rounds, the first move of every message, then the second…,
    one UPDATE per outcome per round. Returns how many moves were made."""
    records, parsed = [], []
    for number, s in items:
        wamid, status = str(s.get("id") or "")[:200], str(s.get("status") or "")[:20]
        if not wamid or not status:
            continue
        errors = s.get("errors") if isinstance(s.get("errors"), list) else []
        code = str(errors[0].get("code") or "")[:10] if errors and isinstance(errors[0], dict) else ""
        at = _time(s.get("timestamp"))
        records.append(StatusRecord(account_id=number.account_id, wamid=wamid, status=status, code=code, at=at))
        parsed.append((wamid, status, code, at))
    if not records:
        return 0
    adapter = channels.get(CHANNEL)
    with transaction.atomic():
        StatusRecord.objects.bulk_create(records, batch_size=2000)
        current = _lock_current({p[0] for p in parsed})
        by_wamid = {}
        for supplier, wamid in current:
            by_wamid.setdefault(wamid, []).append(supplier)
        rounds = []
        for wamid, status, code, at in parsed:
            level = adapter.progress_of(status)
            for supplier in by_wamid.get(wamid, ()):
                progress, made = current[(supplier, wamid)]
                if not applies(progress, level):
                    continue
                current[(supplier, wamid)] = (level, made + 1)
                if len(rounds) <= made:
                    rounds.append({})
                rounds[made].setdefault(supplier, []).append((wamid, status, code, at))
        moved = 0
        for round_ in rounds:
            for supplier, receipts_ in round_.items():
                moved += receipts.apply_receipts(channel=CHANNEL, supplier=supplier, receipts=receipts_)
    return moved


def _lock_current(wamids):
    """{(supplier, wamid): (progress, moves so far)} of the messages, locked in id order."""
    if not wamids:
        return {}
    rows = (
        Message.objects.select_for_update()
        .filter(supplier__in=list(_suppliers()), supplier_message_id__in=list(wamids))
        .order_by("id")
        .values_list("supplier", "supplier_message_id", "progress")
    )
    return {(supplier, wamid): (progress, 0) for supplier, wamid, progress in rows}


def _lock_in_order(wamids):
    """Lock the messages a webhook moves in id order before moving them: concurrent webhooks
    about the same messages (the provider sends sent, delivered and read close together) then
    queue behind each other instead of deadlocking across the receipts' several UPDATEs."""
    if connection.vendor != "postgresql" or not wamids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM sending_message WHERE supplier = ANY(%s) AND supplier_message_id = ANY(%s) "
            "ORDER BY id FOR UPDATE",
            [list(_suppliers()), list(wamids)],
        )


APPLIER_LOCK = 0x57414950  # "WAIP": held by the one applier of the webhook buffer, and by replay


def applier_lock(wait=True):
    """Take the transaction-scoped lock the webhook buffer's applier holds (PostgreSQL); with
    `wait=False`, return False instead of waiting when another holds it."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPLIER_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [APPLIER_LOCK])
        return cursor.fetchone()[0]


def replay(supplier, wamids):
    """Apply the recorded statuses of `wamids` again (those that came before the messages were
    recorded as sent found nothing to move). Returns how many messages moved."""
    moved = 0
    with transaction.atomic():
        # After the applier's batch, not beside it: a batch that read these messages before
        # their wamids were committed records its statuses without moving them, and this replay
        # must read those records (the applier commits them before releasing the lock).
        applier_lock()
        _lock_in_order(set(wamids))
        rows = StatusRecord.objects.filter(wamid__in=list(wamids)).order_by("at")
        by_time = {}
        for wamid, status, code, at in rows.values_list("wamid", "status", "code", "at"):
            by_time.setdefault(at, []).append((wamid, status, code))
        for at, batch in by_time.items():
            moved += receipts.apply_receipts(channel=CHANNEL, supplier=supplier, receipts=batch, at=at)
    return moved


def _message_payload(message):
    """An inbound message's own object, as the `whatsapp:message:in` event carries it."""
    kind = message.get("type")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return {"text": str(body.get("body") or "")}, str(body.get("body") or "")
    if kind in MEDIA_TYPES:
        data = {k: body.get(k) for k in ("id", "caption", "mime_type", "filename", "sha256") if body.get(k)}
        return data, str(body.get("caption") or body.get("filename") or "")
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return {"type": body.get("type"), **reply}, str(reply.get("title") or "")
    if kind == "button":
        return {"text": body.get("text"), "payload": body.get("payload")}, str(body.get("text") or "")
    if kind == "location":
        return body, str(body.get("name") or body.get("address") or "")
    if kind == "contacts":
        contacts = message.get("contacts") or []
        name = (
            contacts[0].get("name", {}).get("formatted_name", "") if contacts and isinstance(contacts[0], dict) else ""
        )
        return {"contacts": contacts}, name
    if kind == "reaction":
        return body, str(body.get("emoji") or "")
    return {"errors": message.get("errors") or []}, ""


def _inbound(number, messages, contacts):
    names = {
        str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "") for c in contacts if isinstance(c, dict)
    }
    wamids = [str(m.get("id") or "") for m in messages]
    known = set(InboundMessage.objects.filter(wamid__in=wamids).values_list("wamid", flat=True))
    rows, pending, latest = [], [], {}
    for m in messages:
        wamid, customer = str(m.get("id") or ""), str(m.get("from") or "")
        if not wamid or not customer or wamid in known:
            continue
        known.add(wamid)
        at = _time(m.get("timestamp"))
        data, text = _message_payload(m)
        row = InboundMessage(
            account_id=number.account_id,
            number=number,
            customer=customer[:16],
            profile_name=names.get(customer, "")[:200],
            wamid=wamid[:200],
            type=str(m.get("type") or "unknown")[:20],
            payload=data,
            text=text,
            received_at=at,
        )
        rows.append(row)
        latest[customer] = max(at, latest.get(customer, at))
        event = _event(number, row)
        identity = f"sender:{number.number}"
        pending.append(
            events.pending(account_id=number.account_id, type=WHATSAPP_MESSAGE_IN, payload=event, identity=identity)
        )
        if row.type == "text" and text.strip().upper() in STOP_WORDS:
            consent.opt_out(
                account=number.account, channel=CHANNEL, receiver=customer, scope="product", value=pricing.MARKETING
            )
    InboundMessage.objects.bulk_create(rows)
    for customer, at in latest.items():
        window.refresh(number, customer[:16], at)
    events.emit_many(pending)
    return len(rows)


def _event(number, row):
    return {
        "id": str(row.uuid),
        "channels": [{"name": CHANNEL, "to": number.number}],
        "recipient": {"from": row.customer, "user": None, "name": row.profile_name or None},
        "message": {
            "id": row.wamid,
            "type": row.type,
            "payload": row.payload,
            "timestamp": row.received_at.isoformat().replace("+00:00", "Z"),
        },
    }


def _preferences(number, preferences):
    for p in preferences:
        if not isinstance(p, dict) or p.get("category") != "marketing_messages":
            continue
        customer = str(p.get("wa_id") or "")
        if p.get("value") == "stop":
            consent.opt_out(
                account=number.account, channel=CHANNEL, receiver=customer, scope="product", value=pricing.MARKETING
            )
        elif p.get("value") == "resume":
            consent.opt_in(
                account=number.account, channel=CHANNEL, receiver=customer, scope="product", value=pricing.MARKETING
            )
