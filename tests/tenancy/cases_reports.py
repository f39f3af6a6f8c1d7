"""Tenant-isolation cases: reports (rollups and what reads them)."""

from django.core.files.base import ContentFile
from django.utils import timezone

from messaging.reports.models import ExportJob, ExportStatus, MessageRollup, ScheduledReport
from messaging.reports.rollups import local_hour, zone
from tests.tenancy.registry import Case, Listing, Op, exempt, register


def _rollup(account, marker):
    hour, day = local_hour(timezone.now(), zone(account.time_zone))
    return MessageRollup.objects.create(
        account=account,
        hour=hour,
        day=day,
        channel="sms",
        product_code="T",
        sender="ACMEIN",
        template_id="",
        batch_id=1,
        iso="IN",
        status=marker,  # a status the report lists by name
        status_code="",
        pending=False,
        messages=3,
        units=3,
    )


register(
    Case(
        MessageRollup,
        _rollup,
        listings=(
            Listing("sms-report", api=True),  # no range: the last 7 days
            Listing("reports:dashboard"),  # a final status shows among the failure reasons
            Listing("reports:dashboard", query={"period": "today"}),
        ),
    )
)

exempt("reports.ReportSettings", "one per account, read and saved for request.account only; no id in any URL")


def _export(account, marker):
    job = ExportJob.objects.create(
        account=account,
        format="csv",
        filters={"custom": marker},  # the exports page shows each job's filters
        request_hash=marker,
        status=ExportStatus.DONE,
        rows=1,
        checksum="0" * 64,
    )
    job.file.save("export.csv", ContentFile(b"id\n1\n"), save=True)
    return job


register(
    Case(
        ExportJob,
        _export,
        ops=(
            Op("GET", "reports:export_status", {"pk": "uuid"}),
            Op("GET", "reports:export_download", {"pk": "uuid"}),
            Op("POST", "reports:export_cancel", {"pk": "uuid"}),
        ),
        listings=(Listing("reports:exports"),),
    )
)


def _schedule(account, marker):
    return ScheduledReport.objects.create(
        account=account, name=marker, frequency="daily", recipients=["ops@example.com"], next_run_at=timezone.now()
    )


register(
    Case(
        ScheduledReport,
        _schedule,
        ops=(
            Op("POST", "reports:schedule_delete", {"pk": "uuid"}),
            Op("GET", "reports:schedule_summary", {"pk": "uuid"}),
        ),
        listings=(Listing("reports:schedules"),),
    )
)
