"""SMS on the common pipeline: GSM-7/UCS-2 parts as units, sender/DLT/blocklist/time-window rules,
the catalogued DLR vocabulary, the `sms:message:status` callback and a hand-tuned COPY writer."""

from functools import lru_cache

from django.utils import timezone

from messaging.channels.sms import context, scrub
from messaging.channels.sms.api import channel_request
from messaging.channels.sms.encoding import analyze, split
from messaging.events import SMS_MESSAGE_STATUS
from messaging.pipeline.channels import ChannelAdapter, Refusal
from messaging.pipeline.models import Priority
from messaging.pipeline.persist import copy_value
from messaging.pipeline.status import Progress
from messaging.pipeline.submit import check_length, check_text, distinct
from portal.core import events
from portal.core.bulk import copy_escape

REFUSALS = {
    Refusal.INVALID_ADDRESS: ("INV-NUMBER", "Not a valid number with its country code."),
    Refusal.DESTINATION_NOT_ENABLED: ("NOTALLOWED", ""),
    Refusal.OPTED_OUT: ("OPTOUT-REJ", "The number has opted out."),
    Refusal.REPEATED: ("DUPLICATE", "The same message went to this number moments ago."),
    Refusal.DUPLICATE: ("DUPLICATE", "The same message appears twice for this number in the request."),
}
# Text the database must hold: the common rule (portal.core.text) over each, before the insert.
TEXT_FIELDS = ("message", "sender", "custom", "port", "template_id", "entity_id", "webhook_id", "dlr_url")
DELIVERED = ("000", "DELIVRD")
# Failure outcomes the simulator draws from (DLR code, status), as catalogued.
SIMULATED_FAILURES = [
    ("001", "INVALID-SUB"),
    ("010", "ABSENT-SUB"),
    ("013", "MOB-OFF"),
    ("021", "EXPIRED"),
    ("034", "UNDELIV"),
]

# The strings of a batch repeat (sender, text, ids): escape each distinct one once.
_esc = lru_cache(maxsize=8192)(copy_escape)


def cap_units(analysis, max_units):
    """`max_units` caps the parts sent and charged: longer text is cut at the last allowed part."""
    if not max_units or analysis.units <= max_units:
        return analysis
    text = "".join(split(analysis.text, analysis.encoding)[:max_units])
    return analyze(text, "U" if analysis.encoding == "ucs2" else "N")


class SmsAdapter(ChannelAdapter):
    name = "sms"
    label = "SMS"
    status_event = SMS_MESSAGE_STATUS
    queues = {Priority.HIGH: "sms-high", Priority.BULK: "sms-bulk"}
    receipt_timeout_status = "TIMEOUT-DLR"
    columns = (
        "index",
        "mobile",
        "iso",
        "sender",
        "text",
        "encoding",
        "length",
        "units",
        "price",
        "charges",
        "state",
        "status",
        "status_code",
        "custom",
        "flash",
        "port",
        "template_id",
        "entity_id",
        "webhook_id",
        "dlr_url",
        "dlr_mask",
    )

    def validate(self, outgoing, errors):
        if any(not (message or "").strip() for message in distinct(outgoing, "message")):
            errors["message"] = ["The message field is required."]
        for name in TEXT_FIELDS:
            check_text(outgoing, name, errors)
            if name != "message" and name not in errors:
                check_length(outgoing, name, errors)
        if not distinct(outgoing, "type") <= {"A", "N", "U"}:
            errors["type"] = ["The selected type is invalid (U, N or A)."]
        if not distinct(outgoing, "max_units") <= {None, 1, 2, 3}:
            errors["max_units"] = ["The max units must be 2 or 3."]

    def from_channel_request(self, account, body, entry, errors):
        return channel_request.parse(account, body, entry, errors)

    def channel_item(self, item, parsed):
        return channel_request.item(item, parsed)

    def content_key(self, o):
        return (o.sender, o.message, o.type, o.max_units, o.template_id)

    def prepare(self, outgoing):
        analyses, prepared = {}, {}
        for o in outgoing:
            key = (o.sender, o.message, o.type, o.max_units, o.template_id)
            if key not in prepared:
                text_key = (o.message, o.type, o.max_units)
                if text_key not in analyses:
                    analyses[text_key] = cap_units(analyze(o.message, o.type), o.max_units)
                prepared[key] = analyses[text_key]
        return prepared

    def units(self, analysis):
        return analysis.units

    def text(self, analysis):
        return analysis.text

    def length(self, analysis):
        return analysis.length

    def scrub_context(self, account, product, *, version, outgoing, prepared, now):
        return context.build(account, product, version=version)

    def check_content(self, ctx, o, analysis):
        return scrub.check_content(ctx, sender=o.sender, text=analysis.text, template_id=o.template_id)

    def check_recipient(self, ctx, o, address, send_at):
        return scrub.check_window(ctx, address, send_at)

    def rejection(self, kind, detail=""):
        status, default = REFUSALS[kind]
        return scrub.rejection(status, detail or default)

    def supplier_refusal(self):
        return scrub.rejection("REJECTED", "Refused by the supplier.")

    def row(self, index, o, a, dlt_id, mobile, iso, price, charges, state, status, code):
        # Plain tuples, not model instances: a 100k batch must fit in memory and time.
        return (
            index,
            mobile,
            iso,
            o.sender,
            a.text,
            a.encoding,
            a.length,
            a.units,
            price,
            charges,
            state,
            status,
            code,
            o.custom,
            o.flash,
            o.port,
            dlt_id or o.template_id,
            o.entity_id,
            o.webhook_id,
            o.dlr_url,
            o.dlr_mask,
        )

    def item(self, ident, o, a, mobile, iso, charges, status, submitted, code=""):
        return {
            "id": ident,
            "mobile": mobile,
            "status": status,
            "units": a.units,
            "length": a.length,
            "charges": float(charges),
            "customid": o.custom,
            "iso_code": iso or None,
            "submitted_at": submitted,
        }

    def copy_text(self, rows, tail, *, block=1 << 20):
        """Message rows in COPY's text format, in blocks of about `block` characters. Formatting
        by hand is several times cheaper than `write_row`'s per-value adaptation, and in a batch
        only the position and the number change from row to row: everything after them (sender,
        text, price, status, references, the common tail) is formatted once per distinct value."""
        end = "\t" + "\t".join(map(copy_value, tail)) + "\n"
        rests = {}
        lines, size = [], 0
        for row in rows:
            # The pipeline appends the number's operator to the channel's columns (persist.messages):
            # a handful of distinct values, so the formatted rests stay few.
            key = row[3:]
            rest = rests.get(key)
            if rest is None:
                (sender, text, encoding, length, units, price, charges, state, status, code, custom,
                 flash, port, template_id, entity_id, webhook_id, dlr_url, dlr_mask, operator) = key  # fmt: skip
                rest = rests[key] = (
                    f"{_esc(sender)}\t{_esc(text)}\t{encoding}\t{length}\t{units}\t"
                    f"{price}\t{charges}\t{state}\t{status}\t{code}\t{_esc(custom)}\t{'t' if flash else 'f'}\t"
                    f"{_esc(port)}\t{_esc(template_id)}\t{_esc(entity_id)}\t{_esc(webhook_id)}\t{_esc(dlr_url)}\t"
                    f"{dlr_mask}\t{_esc(operator)}{end}"
                )
                if len(rests) > 4096:  # per-recipient texts or references: keep memory flat
                    rests.clear()
            # A priced row's number is E.164 digits (validated), its iso two letters: nothing to escape.
            line = f"{row[0]}\t{row[1]}\t{row[2]}\t{rest}"
            lines.append(line)
            size += len(line)
            if size >= block:
                yield "".join(lines)
                lines, size = [], 0
        if lines:
            yield "".join(lines)

    # -- receipts ---------------------------------------------------------------------------
    def progress_of(self, status):
        """A DLR is final: delivered, or one of the catalogued failures."""
        return Progress.DELIVERED if status == DELIVERED[1] else Progress.FAILED

    def simulated_outcomes(self):
        return DELIVERED, SIMULATED_FAILURES

    def status_events(self, rows, status, at, code=""):
        """Routing beside the payload: the request's webhook, the sender for subscriptions, and the
        Engage `dlr.url` (mask 0 reports successes only)."""
        tz = timezone.get_current_timezone()
        for message in rows:
            callback = message.dlr_url if message.dlr_url and (message.dlr_mask or status == "DELIVRD") else ""
            yield events.pending(
                account_id=message.account_id,
                type=self.status_event,
                payload=_payload(message, status, at, tz),
                webhook_id=message.webhook_id,
                identity=f"sender:{message.sender}",
                callback_url=callback,
            )


@lru_cache(maxsize=4096)
def _time(value, tz):
    # A chunk of receipts shares a handful of timestamps (one delivery time, one submit time per
    # batch): formatting each once saves a third of the intake's Python time.
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _payload(message, status, delivered_at, tz):
    """The `sms:message:status` callback fields (webhooks catalog)."""
    return {
        "id": f"{message.group}:{message.index}",
        "mobile": message.mobile,
        "status": status,
        "credits": f"{message.charges:.4f}",
        "units": message.units,
        "deliv_time": _time(delivered_at, tz),
        "sent_time": _time(message.submitted_at, tz),
        "submit_time": _time(message.dispatched_at, tz),
        "deliv_at": str(int(delivered_at.timestamp())),
        "sent_at": str(int(message.submitted_at.timestamp())),
        "submit_at": str(int(message.dispatched_at.timestamp())) if message.dispatched_at else "",
        "cid": message.custom,
        "custom": message.custom,
        "location_code": message.iso.lower(),
    }
