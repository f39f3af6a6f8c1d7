"""Staff: the message table's monthly partitions, their sizes, and what retention does next."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render

from accounts.permissions import staff_required
from messaging.pipeline import partitions, retention
from messaging.pipeline.models import RetentionRun


@staff_required
def partition_list(request):
    months = partitions.partitions()
    try:
        upcoming, problem = retention.plan(), ""
    except ImproperlyConfigured as exc:
        upcoming, problem = None, str(exc)
    dropping = {m.partition for m in upcoming.months} if upcoming else set()
    ctx = {
        "partitioned": partitions.supported(),
        "months": [(p, p.name in dropping) for p in months],
        "total_bytes": sum(p.bytes for p in months),
        "total_rows": sum(p.rows for p in months),
        "default_rows": partitions.default_rows(),
        "plan": upcoming,
        "problem": problem,
        "horizon": retention.horizon(),
        "runs": RetentionRun.objects.all()[:20],
        "ahead": settings.MESSAGE_PARTITIONS_AHEAD,
        "minimum_days": retention.minimum_days(),
    }
    return render(request, "pipeline/partition_list.html", ctx)
