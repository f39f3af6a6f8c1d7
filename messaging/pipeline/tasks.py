"""Celery entry points of the pipeline: thin, take ids, safe to run twice."""

import logging

from celery import shared_task

from messaging.pipeline import connectors, dispatch, lookups, partitions, receipts, retention, sweep


@shared_task(acks_late=True)
def dispatch_batch(batch_id, connector=None):
    """Hand a batch's queued messages to its connector (`messaging.pipeline.dispatch`)."""
    dispatch.dispatch(batch_id, connector)


log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def dispatch_batches(batch_ids):
    """`dispatch_batch` for the batches of sends committed together, one after another. One that
    fails is logged and left to the sweep (which finds its messages wherever they stopped), so it
    never holds back the others."""
    for batch_id in batch_ids:
        try:
            dispatch.dispatch(batch_id)
        except Exception:  # noqa: BLE001 - the sweep recovers it; the next batch still goes
            log.exception("dispatching batch %s failed; the sweep will push it on", batch_id)


@shared_task(acks_late=True)
def resubmit_stuck(batch_id, connector="simulator", claimed_before=None):
    """Sweeper: half-sent chunks are recorded from what the connector holds, or handed over again."""
    return dispatch.resubmit_stuck(batch_id, connector, claimed_before)


@shared_task(acks_late=True)
def check_receipts(supplier, channel, now=None):
    """Sweeper: ask a connector about messages whose receipt is overdue (`messaging.pipeline.lookups`)."""
    return lookups.check_receipts(supplier, channel, now)


@shared_task(acks_late=True)
def simulate_receipts(supplier_ids, channel="sms", supplier="simulator"):
    """The simulator's receipts arrive here, then go through the common intake."""
    sim = connectors.by_name(supplier, channel)
    outcomes = [(sid, *reversed(sim.outcome_of(sid))) for sid in supplier_ids]
    receipts.apply_receipts(channel=channel, supplier=sim.name, receipts=outcomes)


@shared_task
def release_scheduled():
    """Beat: queue scheduled messages that are due, a batch at a time."""
    return sweep.release_due()


@shared_task
def sweep_stuck():
    """Beat: push on every message a lost task left behind (`messaging.pipeline.sweep.sweep`)."""
    return sweep.sweep()


@shared_task
def ensure_message_partitions():
    """Beat: the message table's months ahead exist (`messaging.pipeline.partitions`)."""
    return partitions.ensure()


@shared_task
def apply_message_retention():
    """Beat: drop whole months of messages past the retention, blank old bodies
    (`messaging.pipeline.retention`)."""
    current, done = retention.run()
    return {"drop_before": current.drop_before and current.drop_before.isoformat(), "steps": len(done)}
