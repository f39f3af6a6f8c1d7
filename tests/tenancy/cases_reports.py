"""Tenant-isolation cases: reports (rollups and what reads them)."""

from django.utils import timezone

from messaging.reports.models import MessageRollup
from messaging.reports.rollups import local_hour, zone
from tests.tenancy.registry import Case, Listing, exempt, register


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
