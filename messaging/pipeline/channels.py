"""The channel adapter interface and its registry.

The pipeline (accept → recipients → scrub → quote → pay → persist → dispatch → receipts → events)
is the same for every channel; what differs is behind one `ChannelAdapter` per channel package
(`messaging/channels/<name>/adapter.py`), registered explicitly in that package's
`AppConfig.ready()`. The pipeline never imports a channel package.

Hot paths call the adapter once per distinct content and once per recipient, never per field, so
a 100,000-recipient request pays a few method calls per row.
"""

from dataclasses import dataclass

from messaging.pipeline.models import AWAITING, Priority
from messaging.pipeline.status import Progress


@dataclass
class ChannelRequest:
    """A channel's reading of a channel-style send request (`sms/message/send`)."""

    product_code: str
    outgoing: list
    foreign_id: str = ""
    tags: tuple = ()
    sender: str = ""


@dataclass(slots=True)
class Rejection:
    """Why scrubbing refused one message: the channel's status and code as the customer sees them."""

    status: str
    code: str
    detail: str = ""


class Refusal:
    """The kinds of refusal the pipeline's common rules make; each adapter names them in its own
    vocabulary (`ChannelAdapter.rejection`)."""

    INVALID_ADDRESS = "invalid_address"
    DESTINATION_NOT_ENABLED = "destination_not_enabled"
    OPTED_OUT = "opted_out"
    REPEATED = "repeated"
    DUPLICATE = "duplicate"


class ChannelAdapter:
    """What one channel adds to the common pipeline. Subclasses set the class attributes and
    implement the methods that raise NotImplementedError."""

    name = ""  # "sms": the channel of the products it sends (`Service.channel`) and of its messages
    label = ""  # "SMS": in ledger reasons and pages
    status_event = ""  # event type of its status changes, e.g. "sms:message:status"
    queues = {}  # Priority -> Celery queue for dispatch
    default_connector = "simulator"  # the connector kind used when staff configured none
    accepted_status = AWAITING  # the status of an accepted message until its first receipt
    # A message its supplier took: SENT for suppliers whose acceptance is the channel's "sent"
    # (SMS); channels whose provider reports "sent" itself stay DISPATCHED until it does.
    submitted_progress = Progress.SENT
    submitted_status = None  # the status then (None: unchanged)
    receipt_timeout_status = ""  # status for messages whose supplier never reported (SMS: TIMEOUT-DLR)
    # Message columns `row()` fills, in order (the common ones included); the rest take defaults.
    columns = ()

    # -- accept ---------------------------------------------------------------------------------
    def validate(self, outgoing, errors):
        """Add content errors for the request to `errors` (a FieldErrors)."""
        raise NotImplementedError

    def prepare(self, outgoing):
        """Per distinct content: whatever scrubbing and pricing need (SMS: encoding and parts).
        Returns a dict keyed by `content_key(o)`."""
        raise NotImplementedError

    def content_key(self, o):
        raise NotImplementedError

    def units(self, prepared):
        """Billable units of one prepared content (SMS parts; 1 for most channels)."""
        return 1

    def from_channel_request(self, account, body, entry, errors):
        """Read `channels[0]` (`entry`), `recipient` and `message` of a channel-style request into
        a ChannelRequest, adding field errors to `errors`."""
        raise NotImplementedError

    def channel_item(self, item, parsed):
        """One row of the channel-style answer, from the submission's item."""
        raise NotImplementedError

    # -- scrub ------------------------------------------------------------------------------------
    def scrub_context(self, account, product, *, version, outgoing, prepared, now):
        """Load the channel's rules for the request (a few queries, whatever the recipient count)."""
        raise NotImplementedError

    def check_content(self, ctx, o, prepared):
        """The channel's content rules (sender, template, blocklist), once per distinct message.
        Returns (Rejection or None, extra) where `extra` goes on to `row()` (SMS: the matched DLT
        template id)."""
        raise NotImplementedError

    def check_recipient(self, ctx, o, address, send_at):
        """The channel's per-recipient rules after consent (SMS: the promotional time window)."""
        return None

    def unit_price(self, ctx, o, extra, address, iso, price):
        """The price of one unit of an accepted message: the destination's `price` unless the
        channel prices by more than the country (WhatsApp: the template category, and free utility
        messages inside an open window). `extra` is what `check_content` returned."""
        return price

    def rejection(self, kind, detail=""):
        """A common refusal (`Refusal.*`) in the channel's vocabulary."""
        raise NotImplementedError

    def supplier_refusal(self):
        """The final status of a message the supplier refused after payment (it is refunded)."""
        raise NotImplementedError

    def consent_scope(self, o):
        """The sender whose opt-outs apply to `o` (channels without sender scopes return "")."""
        return getattr(o, "sender", "")

    def repetition_key(self, o, prepared):
        """What makes two messages to one number "the same message" (in a request or moments
        apart): (sender, text) for text channels."""
        return (o.sender.upper(), self.text(prepared))

    def text(self, prepared):
        """The text of a prepared content as stored (searchable; the repetition rule compares it)."""
        raise NotImplementedError

    def length(self, prepared):
        """The `length` a status record shows for a prepared content (SMS: characters as sent)."""
        return len(self.text(prepared))

    def priority(self, product, count):
        """Transactional traffic never waits behind a campaign."""
        return Priority.BULK if product.is_promotional or count > 1000 else Priority.HIGH

    # -- persist and answer ---------------------------------------------------------------------
    def row(self, index, o, prepared, extra, address, iso, price, charges, state, status, code):
        """The message row as a tuple in `columns` order."""
        raise NotImplementedError

    def item(self, ident, o, prepared, address, iso, charges, status, submitted, code=""):
        """The per-recipient answer of the send request: `ident` is its id (the position in the
        request; `<group_id>:<position>` in a send's answer), `code` the refusal's, if refused."""
        raise NotImplementedError

    def copy_text(self, rows, tail):
        """Rows in PostgreSQL COPY text format, in blocks (None: the pipeline's generic writer)."""
        return None

    # -- receipts -------------------------------------------------------------------------------
    def progress_of(self, status):
        """Where a receipt's status sits in the canonical order (`messaging.pipeline.status`)."""
        raise NotImplementedError

    def status_events(self, rows, status, at, code=""):
        """Outbox events (`events.pending`) for messages that reached `status` (with the receipt's
        `code`); `rows` are `messaging.pipeline.receipts.Finalised`."""
        raise NotImplementedError

    def simulated_outcomes(self):
        """(delivered, failures) the built-in simulator draws from: (code, status) pairs."""
        raise NotImplementedError


_ADAPTERS: dict[str, ChannelAdapter] = {}


class UnknownChannel(LookupError):
    pass


def register(adapter):
    """Called from the channel package's AppConfig.ready(); a second adapter for a name is a bug."""
    if adapter.name in _ADAPTERS and type(_ADAPTERS[adapter.name]) is not type(adapter):
        raise ValueError(f"Channel {adapter.name!r} is registered twice.")
    _ADAPTERS[adapter.name] = adapter
    return adapter


def unregister(name):
    """Tests that register a channel of their own take it away again."""
    _ADAPTERS.pop(name, None)


def get(name):
    try:
        return _ADAPTERS[name]
    except KeyError:
        raise UnknownChannel(name) from None


def names():
    return sorted(_ADAPTERS)
