"""What the channels ask of contacts: the public interface of audiences (import-linter holds
`messaging` to this module).

Segments resolve to recipients here, so a channel never reads contacts' tables itself."""

from contacts.models import NUMBER_TYPES, Identifier, IdentifierType, Segment
from contacts.services.segments import RECIPIENT_TYPES, segment_recipients
from portal.core.phone_numbers import digits_of


def segment_numbers(account, segment_ids, channel="sms"):
    """Distinct E.164 numbers of the segments' members not unsubscribed on `channel`, streamed.
    `segment_ids`: ids, uuids or Segment objects of the account; ValidationFailed on a bad id."""
    return segment_recipients(account, segment_ids, channel=channel)


def segment_choices(account):
    """(id, label) of the account's segments for a composer's picker."""
    segments = Segment.objects.for_account(account).order_by("name")
    return [(str(s.pk), f"{s.name} ({s.member_count} contact{'s' if s.member_count != 1 else ''})") for s in segments]


MERGE_CHUNK = 5000


def _merge_types(channel):
    """The identifier types whose contact a number's merge fields come from, preferred first: the
    channel's own (a segment's members are reached by it), then the mobile number for channels
    that send to phone numbers (a WhatsApp number typed in is often a contact's mobile)."""
    own = list(RECIPIENT_TYPES.get(channel, (IdentifierType.PHONE,)))
    if IdentifierType.PHONE not in own and all(t in NUMBER_TYPES for t in own):
        own.append(IdentifierType.PHONE)
    return own


def merge_fields(account, numbers, channel="sms"):
    """{number digits: the contact's fields} for the numbers that are the account's contacts, for
    a composer's merge fields (`{{first_name}}`); a number two contacts have (as a WhatsApp number
    and as a mobile) is the contact of the preferred type (`_merge_types`). Read in chunks of
    MERGE_CHUNK numbers: one query per chunk, whatever the audience's size."""
    types = _merge_types(channel)
    rank = {t: i for i, t in enumerate(types)}
    wanted = list(dict.fromkeys(digits_of(n) for n in numbers))
    result, ranks = {}, {}
    for start in range(0, len(wanted), MERGE_CHUNK):
        rows = (
            Identifier.objects.for_account(account)
            .filter(type__in=types, value__in=wanted[start : start + MERGE_CHUNK])
            .values_list(
                "value",
                "type",
                "contact__first_name",
                "contact__middle_name",
                "contact__last_name",
                "contact__company",
                "contact__city",
                "contact__region",
                "contact__country",
                "contact__attributes",
            )
        )
        for value, kind, first, middle, last, company, city, region, country, attributes in rows:
            if value in ranks and ranks[value] <= rank[kind]:
                continue
            ranks[value] = rank[kind]
            result[value] = {
                "first_name": first or "",
                "middle_name": middle or "",
                "last_name": last or "",
                "full_name": " ".join(p for p in (first, middle, last) if p),
                "company": company or "",
                "city": city or "",
                "region": region or "",
                "country": country or "",
                "attributes": attributes if isinstance(attributes, dict) else {},
            }
    return result
