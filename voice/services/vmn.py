"""Virtual numbers: a keyword SMS (or a missed call) received on a VMN is logged, and the
number's inbound flow named on the log."""

from voice.models import NumberKind, VmnLog, VoiceNumber


def record_inbound(*, number, mobile, body="", location="", location_code="", region="", provider=""):
    """Log one inbound message on a VMN; returns the log row, or None for a number nobody rents."""
    vmn = VoiceNumber.objects.filter(number=number, kind=NumberKind.VMN).first()
    if vmn is None:
        return None
    words = str(body or "").split()
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
    )
