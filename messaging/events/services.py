from messaging.events.models import Event


def emit(*, account, type, payload):
    """Record an event in the outbox. Call inside the transaction of the change it describes."""
    return Event.objects.create(account=account, type=type, payload=payload)
