"""Beat's report housekeeping: recount the window receipts still arrive in, and check the rest."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from messaging.reports import alerts, exports, schedules, settling


@shared_task(name="messaging.reports.tasks.settle_recent")
def settle_recent():
    """Rebuild the rollups of the last SETTLING_HOURS (receipts may still change them)."""
    return settling.settle_recent()


@shared_task(name="messaging.reports.tasks.check_rollups")
def check_rollups(days=None):
    """Compare the rollups of the last days with a recount; a difference is logged as an error
    (mailed to ADMINS) and kept as a RollupCheck."""
    return settling.check(timedelta(days=days or settings.ROLLUP_CHECK_DAYS))


@shared_task(name="messaging.reports.tasks.check_delivery_rates")
def check_delivery_rates():
    """Alert accounts whose last 24 hours' delivery rate is below their threshold."""
    return alerts.check_all()


@shared_task(name="messaging.reports.tasks.run_export", acks_late=True)
def run_export(job_id):
    return exports.run(job_id)


@shared_task(name="messaging.reports.tasks.purge_exports")
def purge_exports():
    return exports.purge_expired()


@shared_task(name="messaging.reports.tasks.run_scheduled_reports")
def run_scheduled_reports():
    return schedules.run_due()
