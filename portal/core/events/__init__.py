"""The event outbox. Producers: `from portal.core import events` then
`events.emit(account=..., type=events.SMS_MESSAGE_STATUS, payload=...)`."""

from portal.core.events.registry import *  # noqa: F403  (the event name constants)
from portal.core.events.registry import EVENTS, UnknownEvent  # noqa: F401


def emit(**kwargs):
    from portal.core.events.services import emit as _emit

    return _emit(**kwargs)


def emit_many(events, **kwargs):
    from portal.core.events.services import emit_many as _emit_many

    return _emit_many(events, **kwargs)


def pending(**kwargs):
    from portal.core.events.services import Pending

    return Pending(**kwargs)
