"""WhatsApp on the common pipeline: business numbers as senders, the 24-hour customer-service
window and marketing opt-outs as scrub rules, Meta templates checked against their approved
form, prices per template category, and the sent → delivered → read status vocabulary."""

from collections import namedtuple
from contextlib import suppress
from decimal import Decimal

from django.template.defaultfilters import pluralize
from django.utils import timezone

from messaging import consent
from messaging.channels.whatsapp import errors as provider_errors
from messaging.channels.whatsapp import pricing, window
from messaging.channels.whatsapp.api import channel_request
from messaging.channels.whatsapp.events import WHATSAPP_MESSAGE_STATUS
from messaging.channels.whatsapp.models import BusinessNumber, TemplateStatus, WhatsappTemplate
from messaging.pipeline.channels import ChannelAdapter, Refusal, Rejection
from messaging.pipeline.models import Priority
from messaging.pipeline.status import Progress
from portal.core import events
from portal.core.errors import FieldErrors
from portal.core.phone_numbers import InvalidNumber, normalize

NOT_ALLOWED = "notallowed"  # the catalogued status of a message refused before sending
REFUSALS = {
    Refusal.INVALID_ADDRESS: ("INVALID", "Not a valid number with its country code."),
    Refusal.DESTINATION_NOT_ENABLED: ("NOROUTE", "WhatsApp to this destination is not enabled for your account."),
    Refusal.OPTED_OUT: ("OPTOUT", "The customer opted out of WhatsApp messages from you."),
    Refusal.REPEATED: ("REPEATED", "The same message went to this customer moments ago."),
    Refusal.DUPLICATE: ("DUPLICATE", "The same message appears twice for this customer in the request."),
}
STATUSES = {
    "sent": Progress.SENT,
    "delivered": Progress.DELIVERED,
    "read": Progress.READ,
    "deleted": Progress.READ,  # the customer deleted it: after delivery, nothing follows
    "failed": Progress.FAILED,
}
TEMPLATE_REFUSALS = {
    TemplateStatus.PENDING: ("132001", "The template is still in Meta's review."),
    TemplateStatus.REJECTED: ("132001", "Meta rejected the template."),
    TemplateStatus.PAUSED: ("132015", provider_errors.explain("132015")),
    TemplateStatus.DISABLED: ("132016", provider_errors.explain("132016")),
}

Context = namedtuple("Context", "numbers templates windows prices stopped now")
Checked = namedtuple("Checked", "number template category")


def rejection(code, detail=""):
    return Rejection(NOT_ALLOWED, code, detail or provider_errors.explain(code))


def _template_key(content):
    t = content["template"]
    return (t["name"].replace("_", "-").lower(), t["language"])


def check_parameters(template, sent, errors):
    """A Meta template send's parameters against the approved template: a header parameter when
    the header has a variable, one body parameter per body variable (exactly one code for
    authentication)."""
    if "components" in sent:
        body = next((c for c in sent["components"] if c["type"] == "body"), None)
        given = len(body["parameters"]) if body else 0
        header_given = any(c["type"] == "header" for c in sent["components"])
    else:
        given, header_given = len(sent["body"]), sent["header"] is not None
    wanted = len(template.variables)
    header = template.payload.get("header") or {}
    if (
        template.payload.get("header_variables") or header.get("type") in ("image", "video", "document")
    ) and not header_given:
        errors.add("message.payload.header_params", f"The template {template.name} needs a header parameter.")
    if given != wanted:
        errors.add(
            "message.payload.body_params",
            f"The template {template.name} takes {wanted} body parameter{pluralize(wanted)}; {given} given.",
        )


class WhatsappAdapter(ChannelAdapter):
    name = "whatsapp"
    label = "WhatsApp"
    status_event = WHATSAPP_MESSAGE_STATUS
    queues = {Priority.HIGH: "whatsapp-high", Priority.BULK: "whatsapp-bulk"}
    default_connector = "cloud_api"
    accepted_status = "queued"  # the catalogued vocabulary: queued, dispatched, sent, delivered, read
    # The Cloud API answering with a wamid is "dispatched"; its own `sent` webhook is "sent".
    submitted_progress = Progress.DISPATCHED
    submitted_status = "dispatched"
    receipt_timeout_status = ""
    columns = (
        "index", "mobile", "iso", "sender", "text", "encoding", "length", "units", "price", "charges", "state",
        "status", "status_code", "custom", "webhook_id", "content",
    )  # fmt: skip

    # -- accept -----------------------------------------------------------------------------------
    def validate(self, outgoing, errors):
        if any(not isinstance(o.content, dict) or not o.content.get("type") for o in outgoing):
            errors.add("message.type", "The message.type field is required.")

    def from_channel_request(self, account, body, entry, errors):
        return channel_request.parse(account, body, entry, errors)

    def channel_item(self, item, parsed):
        return item

    def content_key(self, o):
        return (o.sender, o.key)

    def prepare(self, outgoing):
        prepared = {}
        for o in outgoing:
            key = (o.sender, o.key)
            if key not in prepared:
                prepared[key] = o
        return prepared

    def text(self, o):
        return o.text

    def consent_scope(self, o):
        return o.sender

    def priority(self, product, count):
        return Priority.BULK if count > 1000 else Priority.HIGH

    # -- scrub -------------------------------------------------------------------------------------
    def scrub_context(self, account, product, *, version, outgoing, prepared, now):
        numbers = {n.number: n for n in BusinessNumber.objects.for_account(account).filter(is_active=True)}
        wanted = {_template_key(o.content) for o in prepared.values() if not o.free_form}
        templates = {}
        if wanted:
            rows = WhatsappTemplate.objects.for_account(account).filter(
                type="template", alias__in={alias for alias, _ in wanted}
            )
            templates = {(t.number_id, t.alias.lower(), t.language): t for t in rows}
            errors = FieldErrors()
            for o in prepared.values():
                if not o.free_form and o.sender in numbers:
                    found = self._template(templates, numbers[o.sender], o.content)
                    if found is not None and found.status == TemplateStatus.APPROVED:
                        check_parameters(found, o.content["template"], errors)
            errors.raise_if_any()
        marketing = any(
            not o.free_form
            and (t := self._template(templates, numbers.get(o.sender), o.content))
            and t.category == "marketing"
            for o in prepared.values()
        )
        stopped = set()
        if marketing:
            candidates = set()
            for o in outgoing:
                with suppress(InvalidNumber):
                    candidates.add(normalize(o.to)[0])
            stopped = consent.suppressed_set(account, self.name, candidates, product_code=pricing.MARKETING)
        return Context(
            numbers=numbers,
            templates=templates,
            windows=window.open_for(account, [n.pk for n in numbers.values()], now),
            prices=pricing.category_prices(account, product, version),
            stopped=stopped,
            now=now,
        )

    @staticmethod
    def _template(templates, number, content):
        if number is None or "template" not in content:
            return None
        alias, language = _template_key(content)
        return templates.get((number.pk, alias, language)) or templates.get(
            (number.pk, alias, "en_US" if language == "en" else "en")
        )

    def check_content(self, ctx, o, p):
        number = ctx.numbers.get(o.sender)
        if number is None:
            return rejection("SENDER", "The from number is not a WhatsApp business number of your account."), None
        if o.refusal:
            return rejection(o.refusal), None
        if o.free_form:
            return None, Checked(number, None, pricing.SERVICE)
        template = self._template(ctx.templates, number, o.content)
        if template is None:
            return rejection("132001", provider_errors.explain("132001")), None
        if template.status != TemplateStatus.APPROVED:
            code, detail = TEMPLATE_REFUSALS[template.status]
            return rejection(code, detail), None
        return None, Checked(number, template, template.category)

    def check_recipient(self, ctx, o, address, send_at):
        # `extra` is not handed here; the content check has run, so the number exists.
        number = ctx.numbers[o.sender]
        if o.free_form:
            expires = ctx.windows.get((number.pk, address))
            if expires is None or expires <= send_at:
                return rejection(provider_errors.OUTSIDE_WINDOW)
        elif address in ctx.stopped and self._category(ctx, o) == "marketing":
            return rejection(provider_errors.MARKETING_STOPPED)
        return None

    def _category(self, ctx, o):
        template = self._template(ctx.templates, ctx.numbers.get(o.sender), o.content)
        return template.category if template else pricing.SERVICE

    def unit_price(self, ctx, o, extra, address, iso, price):
        """The price of the template category to that country; utility inside an open window is free."""
        category = extra.category if extra else pricing.SERVICE
        if category == "utility" and (extra.number.pk, address) in ctx.windows:
            return Decimal(0)
        return ctx.prices.get((iso, pricing.SUB_SERVICES[category]), price)

    def rejection(self, kind, detail=""):
        code, default = REFUSALS[kind]
        return Rejection(NOT_ALLOWED, code, detail or default)

    def supplier_refusal(self):
        return Rejection("failed", "131000", provider_errors.explain("131000"))

    # -- persist and answer --------------------------------------------------------------------------
    def row(self, index, o, p, extra, mobile, iso, price, charges, state, status, code):
        content = o.content
        if extra is not None and extra.template is not None:
            content = {**content, "template_id": str(extra.template.uuid), "category": extra.category}
        return (index, mobile, iso, o.sender, o.text, "wa", len(o.text), 1, price, charges, state, status, code,
                o.custom, o.webhook_id, content)  # fmt: skip

    def item(self, ident, o, p, mobile, iso, charges, status, submitted, code=""):
        item = {
            "id": ident,
            "channel": self.name,
            "from": o.sender,
            "to": mobile,
            "credits": float(charges),
            "created_at": submitted,
            "status": status,
            "foreign_id": o.custom or None,
        }
        if code:
            item["error"] = {"code": code, "reason": REASONS.get(code) or provider_errors.explain(code)}
        return item

    # -- receipts ------------------------------------------------------------------------------------
    def progress_of(self, status):
        return STATUSES.get(status, Progress.FAILED)

    def simulated_outcomes(self):
        return ("", "delivered"), [("131026", "failed"), ("131049", "failed")]

    def status_events(self, rows, status, at, code=""):
        error = provider_errors.error_object(code)
        for r in rows:
            stamp = (r.at or at).isoformat().replace("+00:00", "Z")  # the provider's time of this status
            payload = {
                "id": f"{r.group}:{r.index}",
                "channel": self.name,
                "from": r.sender,
                "to": r.mobile,
                "status": status,
                "delivered_at": stamp if status == "delivered" else None,
                "read_at": stamp if status == "read" else None,
                "processed_at": r.dispatched_at.isoformat().replace("+00:00", "Z") if r.dispatched_at else None,
                "timestamp": stamp,
                "foreign_id": r.custom or None,
            }
            if error:
                payload["error"] = error
            yield events.pending(
                account_id=r.account_id,
                type=self.status_event,
                payload=payload,
                webhook_id=r.webhook_id,
                identity=f"sender:{r.sender}",
            )


REASONS = {code: detail for code, detail in REFUSALS.values()}


def now():
    return timezone.now()
