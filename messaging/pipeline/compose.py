"""What the pipeline's composers (SMS, WhatsApp) share beyond every channel's pieces: the audience
with a pipeline batch as the earlier send (retry failed, send to the ones who didn't get it) and
merge fields from contacts. The audience's rules, the summary, the button's words and the flash
are every channel's (`portal.core.audience`, `portal.composer`: voice uses them too).

The composer's preview and its send call the same functions with the same input, so the numbers a
preview shows are the numbers the send charges.
"""

import re

from contacts.recipients import merge_fields
from messaging.pipeline import recipients
from messaging.pipeline.models import Batch, Message, RefusedNumbers, State
from messaging.pipeline.status import Progress
from portal.core import audience as shared_audience
from portal.core.phone_numbers import digits_of
from portal.core.tenancy import is_uuid

# Who a follow-up send of an earlier one goes to.
FOLLOW_UPS = {
    "failed": "Retry failed",
    "undelivered": "Send to the ones who didn't get it",
}
# `{{first_name}}`, `{{attributes.plan}}`: a contact's fields in the text, per recipient.
MERGE_FIELD = re.compile(r"\{\{\s*((?:attributes\.)?[A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
CONTACT_FIELDS = ("first_name", "last_name", "middle_name", "full_name", "company", "city", "region", "country")


def _follow_up_rows(account, batch, who):
    rows = Message.objects.for_account(account).filter(batch=batch)
    if who == "failed":
        return rows.filter(state=State.FINAL, progress=Progress.FAILED)
    return rows.filter(state__in=[State.FINAL, State.REJECTED]).exclude(
        progress__in=[Progress.DELIVERED, Progress.READ]
    )


def follow_up_numbers(account, batch, who):
    """The numbers of an earlier send to try again: `failed` are the messages a supplier or the
    network failed; `undelivered` adds those refused before sending. Messages still on their way
    are left out of both: they may yet arrive, and a second copy would be charged twice."""
    numbers = list(_follow_up_rows(account, batch, who).order_by("index").values_list("mobile", flat=True))
    if who != "failed":
        for record in RefusedNumbers.objects.filter(batch=batch, account=account).order_by("first_index"):
            numbers.extend(record.mobiles)
    return numbers


def follow_up_counts(account, batch):
    """[(who, label, how many)] of the follow-ups a batch offers (those with anyone to send to)."""
    refused = sum(RefusedNumbers.objects.filter(batch=batch, account=account).values_list("count", flat=True))
    counts = {
        "failed": _follow_up_rows(account, batch, "failed").count(),
        "undelivered": _follow_up_rows(account, batch, "undelivered").count() + refused,
    }
    return [(who, label, counts[who]) for who, label in FOLLOW_UPS.items() if counts[who]]


def follow_up_batch(account, value):
    """The account's batch a follow-up names, or None (another account's id is simply unknown)."""
    if not is_uuid(value):
        return None
    return Batch.objects.for_account(account).select_related("product").filter(uuid=value).first()


def audience(account, *, typed="", files=(), segment_ids=None, follow_up=None, channel="sms", strict=True):
    """Resolve a composer's recipients (`portal.core.audience.build`): typed numbers as given (a
    number typed twice is answered DUPLICATE by the scrub, as the API does), then an earlier send's
    (`follow_up` = (batch, who)), each file's and the segments' members not unsubscribed on
    `channel`, each added only when no earlier source has it. Not strict: a segment id that is no
    longer valid is left out and named in `problem` (the preview); strict raises (the send)."""
    return shared_audience.build(
        typed_numbers=typed,
        earlier=follow_up_numbers(account, *follow_up) if follow_up is not None else (),
        files=files,
        segments=(lambda: recipients.from_segments(account, segment_ids, channel=channel)) if segment_ids else None,
        strict=strict,
    )


def merge_names(text):
    """The merge fields a text uses, in order (`first_name`, `attributes.plan`)."""
    return list(dict.fromkeys(m.group(1) for m in MERGE_FIELD.finditer(text or "") if _is_merge(m.group(1))))


def _is_merge(name):
    return name in CONTACT_FIELDS or name.startswith("attributes.")


def personalise(account, text, numbers, *, channel="sms"):
    """One text per number, with each recipient's contact fields merged in (empty for a number that
    is no contact, or a contact without that field). A text without merge fields is returned as
    one shared string, so a plain send costs nothing extra."""
    if not merge_names(text):
        return [text] * len(numbers)
    return [merge(text, values) for values in contact_values(account, numbers, channel=channel)]


def contact_values(account, numbers, *, channel="sms"):
    """Each number's contact fields for `merge`, in order ({} for a number that is no contact of
    the account): the contact reached on `channel` (`contacts.recipients.merge_fields`)."""
    fields = merge_fields(account, numbers, channel=channel)
    return [fields.get(digits_of(n), {}) for n in numbers]


def merge(text, values):
    def replace(match):
        name = match.group(1)
        if not _is_merge(name):
            return match.group(0)  # not a merge field (a DLT variable left unfilled): kept as typed
        if name.startswith("attributes."):
            value = (values.get("attributes") or {}).get(name.removeprefix("attributes."), "")
        else:
            value = values.get(name) or ""
        return str(value)

    return MERGE_FIELD.sub(replace, text or "")
