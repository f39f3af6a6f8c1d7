"""The event registry: which event names exist. The mechanism only; no app's events live here.

Each app declares its events in its own `events.py` (name constants and `EventType`s) and
registers them from its `AppConfig.ready()`:

    # <app>/events.py
    THING_HAPPENED = "<app>:thing:happened"
    EVENT_TYPES = (EventType(THING_HAPPENED, "<Product>", "A thing happened"),)

    # <app>/apps.py
    def ready(self):
        registry.register(*events.EVENT_TYPES)

`emit()` refuses a name nobody registered, so a typo never becomes an event nobody can subscribe
to. How an event is delivered (body form, success codes, variables, examples) is the business of
whoever delivers it (the webhooks app), not of this registry.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    # The product the event belongs to, as the pages show it.
    product: str
    description: str
    # Catalogued names are the public API's; the others are the portal's own (`portal:...`).
    catalogued: bool = True
    # Customers may subscribe to it (False: sent only on purpose, such as a test event).
    subscribable: bool = True


class UnknownEvent(ValueError):
    pass


class DuplicateEvent(ValueError):
    pass


# name -> EventType, in registration order (INSTALLED_APPS order, then each app's own order).
_registered: dict[str, EventType] = {}


def register(*event_types):
    """Add event types. A name registered already (or twice in one call) raises DuplicateEvent
    and nothing of the call is registered."""
    names = [e.name for e in event_types]
    clashes = sorted({n for n in names if n in _registered or names.count(n) > 1})
    if clashes:
        raise DuplicateEvent(f"Event names registered twice: {', '.join(clashes)}.")
    for event_type in event_types:
        _registered[event_type.name] = event_type


def get(name):
    """The registered event called `name`; UnknownEvent otherwise."""
    try:
        return _registered[name]
    except KeyError:
        raise UnknownEvent(f"{name!r} is not a registered event name (see the apps' events.py).") from None


def all():  # shadows the builtin inside this module only; callers write registry.all()
    """Every registered event type, in registration order."""
    return list(_registered.values())


def subscribable():
    """Names a customer may subscribe to, in registration order."""
    return [name for name, e in _registered.items() if e.subscribable]


def choices():
    """(name, label) pairs of the subscribable events, for forms and filters."""
    return [(name, f"{name} — {_registered[name].description}") for name in subscribable()]
