from celery import shared_task

from contacts.imports import services


@shared_task(acks_late=True)
def inspect_contact_import(job_id):
    services.inspect_import(job_id)


@shared_task(acks_late=True)
def run_contact_import(job_id):
    services.run_import(job_id)


@shared_task
def sweep_contact_imports():
    return services.sweep_stale()
