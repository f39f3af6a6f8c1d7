from celery import shared_task

from contacts.services import segments


@shared_task
def refresh_segment_counts():
    return segments.refresh_counts()
