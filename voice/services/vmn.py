"""Virtual numbers: a keyword SMS (or a missed call) received on a VMN is logged, and the
number's inbound flow named on the log."""

from django.db import IntegrityError, transaction

from voice.models import NumberKind, VmnLog, VoiceNumber


def record_inbound(*, number, mobile, body="", location="", location_code="", region="", provider="", message_id=""):
    """Log one inbound message on a VMN; returns the log row (the existing one when the carrier
    delivers the same `message_id` again), or None for a number nobody rents."""
    vmn = VoiceNumber.objects.filter(number=number, kind=NumberKind.VMN).first()
    if vmn is None:
        return None
    if message_id:
        seen = VmnLog.objects.filter(number=number, message_id=message_id).first()
        if seen is not None:
            return seen
    words = str(body or "").split()
    try:
        with transaction.atomic():
            return _create(vmn, number, mobile, body, words, location, location_code, region, provider, message_id)
    except IntegrityError:  # the same message delivered twice at once: the other delivery logged it
        return VmnLog.objects.get(number=number, message_id=message_id)


def _create(vmn, number, mobile, body, words, location, location_code, region, provider, message_id):
    return VmnLog.objects.create(
        account=vmn.account,
        mobile=mobile,
        number=number,
        first_keyword=(words[0] if words else "")[:40].upper(),
        second_keyword=(words[1] if len(words) > 1 else "")[:40].upper(),
        body=str(body or "")[:1600],
        flow=vmn.inbound_flow,
        location=location,
        location_code=location_code,
        region=region,
        provider=provider,
        message_id=message_id,
    )
