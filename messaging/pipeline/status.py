"""One canonical order for every channel's statuses: queued < dispatched < sent < delivered < read.

Each adapter maps its own vocabulary (SMS DLR statuses, WhatsApp's sent/delivered/read/failed, …)
onto these levels; `Message.progress` holds the level reached. Receipts only move a message
forward: a status applies when its level is above the message's, and a negative final (failed,
rejected, expired) only before delivery. That makes receipt intake idempotent and order-proof
(a late "sent" after "delivered" changes nothing, and so does a repeated receipt).
"""

from django.db import models


class Progress(models.IntegerChoices):
    QUEUED = 0, "Queued"
    DISPATCHED = 1, "Handed to the connector"
    SENT = 2, "Accepted by the supplier"
    DELIVERED = 3, "Delivered"
    READ = 4, "Read"
    # Negative finals sort above everything, so nothing moves a message on once it failed.
    FAILED = 9, "Failed"


FINAL_LEVELS = frozenset({Progress.DELIVERED, Progress.READ, Progress.FAILED})


def applies(current, new):
    """Whether a status at level `new` moves a message now at `current` forward."""
    if new == Progress.FAILED:
        return current < Progress.DELIVERED
    return current < new


def ceiling(new):
    """The SQL bound: a receipt at level `new` updates rows whose progress is below this."""
    return Progress.DELIVERED if new == Progress.FAILED else new
