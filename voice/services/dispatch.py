"""Handing accepted calls to their connector.

Simulator calls run in the Celery worker (`voice.run_calls`, chunks of CHUNK ids, queued by name
so services never import tasks.py). SIP calls stay `queued` in the table: the media worker
process claims them itself (`manage.py voice_media`), so no SIP stack runs in web or Celery.
"""

from celery import current_app
from django.db.models import Q
from django.utils import timezone

from voice.models import Call, CallStatus, Connector

RUN_TASK = "voice.run_calls"
CHUNK = 1000


def queue(call_ids, *, group_id=None, now=None):
    """Send the due simulator calls among these to the worker. Calls waiting for a later time (a
    retry's `due_at`) stay in the table: the sweeper releases them when due, so no task is ever
    held in the broker past its visibility timeout."""
    now = now or timezone.now()
    simulated = list(
        Call.objects.filter(pk__in=call_ids, connector=Connector.SIMULATOR, status=CallStatus.QUEUED)
        .filter(Q(due_at__isnull=True) | Q(due_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for i in range(0, len(simulated), CHUNK):
        current_app.tasks[RUN_TASK].apply_async(args=[simulated[i : i + CHUNK]])
