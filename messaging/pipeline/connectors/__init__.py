"""Supplier connectors behind one interface, a registry of kinds, and routing.

A connector kind (the built-in `simulator`; later HTTP suppliers, SMPP binds, the WhatsApp Cloud
API) is a class registered here under its kind name. Staff configure connections
(`SupplierConnector`: name, channel, kind, rate, enabled, default); dispatch asks `for_batch()`
which one carries a batch. A channel with none configured uses its adapter's default kind under
the kind's name, at the `CONNECTOR_RATES` rate, so everything works on a laptop.

Every connector instance has:
- `name`: the supplier name stored on each message (receipts find messages by it);
- `channel`, `rate` (messages per second), `idempotent` (True when a chunk handed over twice is
  taken once: only those get half-sent chunks again after a crash);
- `submit(messages)`: per claimed message, the supplier's message id, or None (or a `Refused`
  carrying the supplier's code) when it refused it;
- optionally `schedule_receipts(supplier_ids)` (simulators: report outcomes later).
Receipts come back through `messaging.pipeline.receipts.apply_receipts`, whatever the connector.
"""

from django.conf import settings

from messaging.pipeline import channels
from messaging.pipeline.connectors.simulator import SimulatorConnector
from messaging.pipeline.models import SupplierConnector

_KINDS = {}


class Refused:
    """A connector's answer for a message it refused, with the supplier's code: false like None,
    so dispatch treats both alike, and the code becomes the message's `status_code`."""

    __slots__ = ("code",)

    def __init__(self, code=""):
        self.code = str(code)

    def __bool__(self):
        return False

    def __repr__(self):
        return f"Refused({self.code!r})"


class UnknownConnector(LookupError):
    pass


def register_kind(kind, cls):
    """Make a connector class available to staff configuration under `kind`."""
    _KINDS[kind] = cls


def kinds():
    return sorted(_KINDS)


register_kind("simulator", SimulatorConnector)


def default_rate(name):
    return settings.CONNECTOR_RATES.get(name, settings.CONNECTOR_RATES.get("default", 1000))


def build(*, name, channel, kind, rate=None, options=None):
    try:
        cls = _KINDS[kind]
    except KeyError:
        raise UnknownConnector(kind) from None
    return cls(name=name, channel=channel, rate=rate or default_rate(name), options=options or {})


def _configured(**lookup):
    row = SupplierConnector.objects.filter(enabled=True, **lookup).first()
    if row is None:
        return None
    return build(name=row.name, channel=row.channel, kind=row.kind, rate=row.rate_per_second, options=row.settings)


def for_channel(channel):
    """The channel's default connector: the enabled one staff marked default, else the adapter's
    built-in kind."""
    configured = _configured(channel=channel, is_default=True)
    if configured is not None:
        return configured
    kind = channels.get(channel).default_connector
    return build(name=kind, channel=channel, kind=kind)


def by_name(name, channel):
    """The connector a message was handed to (`Message.supplier`): configured, or built in."""
    configured = _configured(name=name)
    if configured is not None:
        return configured
    if name in _KINDS:
        return build(name=name, channel=channel, kind=name)
    raise UnknownConnector(name)
