from celery import shared_task

from messaging.suppressions import importers


@shared_task(acks_late=True)
def run_import(job_id):
    importers.run(job_id)
