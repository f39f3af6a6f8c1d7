"""Value formats of the v2 contract."""

from datetime import UTC


def resource_time(value):
    """Resource timestamps: ISO-8601 in UTC with microseconds, e.g. 2022-10-19T07:40:13.000000Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def flag(value):
    """Booleans travel as 1/0."""
    return 1 if value else 0


def parse_flag(value, default=None):
    """'1'/'0', 1/0, true/false from a request; None when absent."""
    if value in (None, ""):
        return default
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)
