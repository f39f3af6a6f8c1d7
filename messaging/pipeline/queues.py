"""Which Celery queue a batch's dispatch goes to: per channel and priority, so a 100k campaign
never sits in front of a one-time password, and a channel's workers can scale on their own."""

from celery import current_app

from messaging.pipeline import channels
from messaging.pipeline.models import Priority

DISPATCH_TASK = "messaging.pipeline.tasks.dispatch_batch"
DISPATCH_MANY_TASK = "messaging.pipeline.tasks.dispatch_batches"


def queue_for(channel, priority):
    return channels.get(channel).queues[Priority(priority)]


def enqueue(batch_id, channel, priority=Priority.HIGH):
    """Queue a batch's dispatch. The task is looked up by name in the Celery app (its module
    imports the pipeline, not the other way round); unlike `send_task`, this honours eager mode."""
    current_app.tasks[DISPATCH_TASK].apply_async(args=[batch_id], queue=queue_for(channel, priority))


def enqueue_many(batch_ids, channel, priority=Priority.HIGH):
    """Queue the dispatch of several batches of one channel and priority (sends committed
    together) as one task: one message to the broker instead of one per batch."""
    current_app.tasks[DISPATCH_MANY_TASK].apply_async(args=[list(batch_ids)], queue=queue_for(channel, priority))
