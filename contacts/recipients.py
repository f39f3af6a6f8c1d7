"""What the channels ask of contacts: the public interface of audiences (import-linter holds
`messaging` to this module).

Segments resolve to recipients here, so a channel never reads contacts' tables itself."""

from contacts.models import Segment
from contacts.services.segments import segment_recipients


def segment_numbers(account, segment_ids, channel="sms"):
    """Distinct E.164 numbers of the segments' members not unsubscribed on `channel`, streamed.
    `segment_ids`: ids, uuids or Segment objects of the account; ValidationFailed on a bad id."""
    return segment_recipients(account, segment_ids, channel=channel)


def segment_choices(account):
    """(id, label) of the account's segments for a composer's picker."""
    segments = Segment.objects.for_account(account).order_by("name")
    return [(str(s.pk), f"{s.name} ({s.member_count} contact{'s' if s.member_count != 1 else ''})") for s in segments]
