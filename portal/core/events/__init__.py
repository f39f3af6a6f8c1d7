"""The event outbox. Producers import their app's name constant and call `emit()`:

    from <app>.events import THING_HAPPENED
    from portal.core import events

    events.emit(account=..., type=THING_HAPPENED, payload=...)

Event names are declared by the apps that emit them (`<app>/events.py`, registered in the app's
`ready()`); `registry` is the mechanism.
"""

from portal.core.events.registry import DuplicateEvent, EventType, UnknownEvent  # noqa: F401

# This package is a Django app: Django imports it while it builds the app registry, before any
# model can be loaded, and `services` imports `models`. So the outbox functions import it when
# they are first called rather than here.


def emit(**kwargs):
    from portal.core.events.services import emit as _emit

    return _emit(**kwargs)


def emit_many(events, **kwargs):
    from portal.core.events.services import emit_many as _emit_many

    return _emit_many(events, **kwargs)


def pending(**kwargs):
    from portal.core.events.services import Pending

    return Pending(**kwargs)
