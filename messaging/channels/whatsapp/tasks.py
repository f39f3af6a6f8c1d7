"""Celery entry points of the WhatsApp channel: thin, safe to run twice."""

from celery import shared_task

from messaging.channels.whatsapp import webhook_buffer


@shared_task(name="whatsapp.apply_intake", acks_late=True)
def apply_intake():
    """Apply the buffered Cloud API webhooks (`webhook_buffer`); nudged by the intake, run by beat."""
    return webhook_buffer.drain()
