"""Handing accepted calls to their connector.

Simulator calls run in the Celery worker (`voice.run_calls`, chunks of CHUNK ids, queued by name
so services never import tasks.py). SIP calls stay `queued` in the table: the media worker
process claims them itself (`manage.py voice_media`), so no SIP stack runs in web or Celery.
"""

from celery import current_app

from voice.models import Call, CallStatus, Connector

RUN_TASK = "voice.run_calls"
CHUNK = 1000


def queue(call_ids, *, group_id=None, countdown=0):
    simulated = list(
        Call.objects.filter(pk__in=call_ids, connector=Connector.SIMULATOR, status=CallStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for i in range(0, len(simulated), CHUNK):
        current_app.tasks[RUN_TASK].apply_async(args=[simulated[i : i + CHUNK]], countdown=countdown or None)
