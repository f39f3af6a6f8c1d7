"""Staff configuration of supplier connectors: the only writer of `SupplierConnector`."""

from django.db import transaction

from accounts.services import audit
from messaging.pipeline import channels, connectors
from messaging.pipeline.models import SupplierConnector
from portal.core.errors import FieldErrors

MAX_RATE = 100_000


def save_connector(*, data, existing=None, actor=None, request=None):
    """Create or edit a connector. At most one default per channel: making this one the default
    takes it from the other in the same transaction. Raises ValidationFailed per field."""
    errors = FieldErrors()
    name = str(data.get("name") or "").strip().lower()
    channel = str(data.get("channel") or "").strip().lower()
    kind = str(data.get("kind") or "").strip()
    if not name:
        errors.add("name", "The name field is required.")
    elif SupplierConnector.objects.filter(name=name).exclude(pk=getattr(existing, "pk", None)).exists():
        errors.add("name", "A connector with this name already exists.")
    if channel not in channels.names():
        errors.add("channel", f"The selected channel is invalid ({', '.join(channels.names())}).")
    if kind not in connectors.kinds():
        errors.add("kind", f"The selected kind is invalid ({', '.join(connectors.kinds())}).")
    try:
        rate = int(data.get("rate_per_second"))
    except (TypeError, ValueError):
        rate = None
    if rate is None or not 1 <= rate <= MAX_RATE:
        errors.add("rate_per_second", f"The rate must be a whole number from 1 to {MAX_RATE}.")
    errors.raise_if_any()
    row = existing or SupplierConnector()
    row.name, row.channel, row.kind, row.rate_per_second = name, channel, kind, rate
    row.enabled = bool(data.get("enabled"))
    row.is_default = bool(data.get("is_default")) and row.enabled
    with transaction.atomic():
        if row.is_default:
            SupplierConnector.objects.select_for_update().filter(channel=channel, is_default=True).exclude(
                pk=row.pk
            ).update(is_default=False)
        row.save()
        audit.record(
            "connector.saved",
            actor=actor,
            target=row.name,
            request=request,
            channel=channel,
            kind=kind,
            rate=rate,
            enabled=row.enabled,
            default=row.is_default,
        )
    return row
