"""What every channel's composer shares: the audience (typed numbers, files, segments and the
recipients of an earlier send, counted together and deduplicated), merge fields from contacts, the
summary of the send's own dry run (`quote`), the send button's words and the flash after a send.

The composer's preview and its send call the same functions with the same input, so the numbers a
preview shows are the numbers the send charges.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages as flash
from django.template.defaultfilters import pluralize

from contacts.recipients import merge_fields
from messaging.pipeline import recipients
from messaging.pipeline.models import Batch, Message, RefusedNumbers, State
from messaging.pipeline.status import Progress
from portal.core.errors import DomainError
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


@dataclass
class Audience:
    """Every recipient of a send, in order, and how many each source brought (after removing the
    numbers an earlier source already had)."""

    numbers: list = field(default_factory=list)
    typed: int = 0
    from_files: int = 0
    from_segments: int = 0
    from_batch: int = 0
    problem: str = ""  # a source that could not be read (an old segment id): the send reports it


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
    """Resolve a composer's recipients: typed numbers as given (a number typed twice is answered
    DUPLICATE by the scrub, as the API does), then an earlier send's (`follow_up` = (batch, who)),
    each file's and the segments' members, each added only when no earlier source has it. Not
    strict: a segment id that is no longer valid is left out and named in `problem` (the preview);
    strict raises (the send)."""
    numbers = recipients.typed(typed)
    result = Audience(typed=len(numbers))
    seen = {digits_of(n) for n in numbers}

    def add(candidates):
        added = 0
        for number in candidates:
            key = digits_of(number)
            if key not in seen:
                seen.add(key)
                numbers.append(number)
                added += 1
        return added

    if follow_up is not None:
        result.from_batch = add(follow_up_numbers(account, *follow_up))
    for upload in files:
        result.from_files += add(recipients.from_file(upload))
    base = len(numbers)
    try:
        numbers = recipients.resolve(account, numbers=numbers, segment_ids=segment_ids, channel=channel)
    except DomainError as exc:
        if strict:
            raise
        result.problem = exc.message
    result.from_segments = len(numbers) - base
    result.numbers = numbers
    return result


def merge_names(text):
    """The merge fields a text uses, in order (`first_name`, `attributes.plan`)."""
    return list(dict.fromkeys(m.group(1) for m in MERGE_FIELD.finditer(text or "") if _is_merge(m.group(1))))


def _is_merge(name):
    return name in CONTACT_FIELDS or name.startswith("attributes.")


def personalise(account, text, numbers):
    """One text per number, with each recipient's contact fields merged in (empty for a number that
    is no contact, or a contact without that field). A text without merge fields is returned as
    one shared string, so a plain send costs nothing extra."""
    if not merge_names(text):
        return [text] * len(numbers)
    fields = merge_fields(account, numbers)
    return [merge(text, fields.get(digits_of(n), {})) for n in numbers]


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


@dataclass
class Summary:
    """A quote as the composer shows it."""

    quoted: bool
    total: int = 0
    accepted: int = 0
    refused: list = field(default_factory=list)  # (status, label, count), largest first
    cost: Decimal = Decimal(0)
    balance: Decimal = Decimal(0)
    problem: str = ""
    problems: int = 0  # problems in the message itself (it cannot be quoted until they are fixed)

    @property
    def balance_after(self):
        return self.balance - self.cost

    @property
    def affordable(self):
        return self.cost <= self.balance

    @property
    def button(self):
        """What pressing Send will do, in words."""
        if self.problems:
            return f"Fix {self.problems} problem{pluralize(self.problems)} to send"
        if not self.quoted or not self.total:
            return "Send"
        if self.accepted == self.total:
            return f"Send to {self.total} recipient{pluralize(self.total)}"
        return f"Send: {self.accepted} of {self.total} would be accepted"


def summarise(plan, balance, labels):
    """A `Quote` as the composer's summary; `labels` maps a refusal status to words."""
    refused = sorted(
        ((status, labels.get(status, status), count) for status, count in plan.refused.items()),
        key=lambda r: (-r[2], r[0]),
    )
    return Summary(
        quoted=True, total=plan.total, accepted=plan.accepted, refused=refused, cost=plan.cost, balance=balance
    )


def report_outcome(request, *, accepted, total, refused, labels, channel_label):
    """The flash after a send: success only when something was accepted; a warning naming the
    reasons when some or all were refused."""
    reasons = "; ".join(
        f"{labels.get(status, status)}: {count}"
        for status, count in sorted(refused.items(), key=lambda r: (-r[1], r[0]))
    )
    if accepted == 0:
        flash.warning(
            request,
            f"Nothing was sent: 0 of {total} {channel_label} message{pluralize(total)} accepted"
            + (f" ({reasons})." if reasons else "."),
        )
    elif accepted < total:
        flash.warning(request, f"{accepted} of {total} {channel_label} messages accepted; refused: {reasons}.")
    else:
        flash.success(request, f"{accepted} of {total} {channel_label} message{pluralize(total)} accepted.")


def refused_counts(items, accepted_statuses):
    """Refusal status -> count from a submission's per-recipient answers."""
    counts = {}
    for item in items:
        status = item.get("status")
        if status not in accepted_statuses:
            counts[status] = counts.get(status, 0) + 1
    return counts
