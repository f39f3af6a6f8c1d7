from celery import shared_task

from accounts.brands import domains


@shared_task
def recheck_domains():
    return domains.recheck_all()
