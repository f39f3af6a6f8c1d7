"""The one table of statuses and DLR/error codes: what each means, whether it was billed, what
to do. Pages, exports, the message detail and docs/status-codes.md all read it from here (a test
keeps the doc in step)."""

from dataclasses import dataclass
from functools import lru_cache

# (code, status) -> meaning, as catalogued; codes may vary by region and operator.
CATALOGUED = {
    ("000", "DELIVRD"): "delivered to SIM",
    ("001", "INVALID-SUB"): "unidentified subscriber",
    ("002", "INVALID-SUB"): "illegal subscriber",
    ("003", "ABSENT-SUB"): "unidentified subscriber",
    ("004", "HANDSET-ERR"): "illegal equipment",
    ("005", "BARRED"): "SMS prohibited",
    ("006", "HANDSET-ERR"): "handset does not support SMS",
    ("007", "HANDSET-ERR"): "handset receiving error",
    ("008", "NET-ERR"): "facility not supported",
    ("009", "MEMEXEC"): "handset memory full",
    ("010", "ABSENT-SUB"): "absent subscriber",
    ("011", "FAILED"): "SMSC system failure",
    ("012", "NET-ERR"): "gateway MSC error",
    ("013", "MOB-OFF"): "handset switched off",
    ("014", "FAILED"): "roaming limitation",
    ("015", "INVALID-SUB"): "unidentified subscriber",
    ("016", "HANDSET-BUSY"): "subscriber busy",
    ("017", "NET-ERR"): "resources unavailable at GMSC",
    ("018", "SERIES-BLK"): "series blocked",
    ("019", "NET-ERR"): "submission error / invalid input",
    ("020", "BARRED"): "CUG reject",
    ("021", "EXPIRED"): "SMS timeout",
    ("034", "UNDELIV"): "unknown error",
    ("045", "FAILED"): "unknown error",
    ("099", "UNDELIV"): "unknown error",
    ("400", "SERIES-BLOCK"): "series temporarily/permanently blocked",
    ("401", "NO-CREDITS"): "credit exhausted",
    ("402", "NO-ACCOUNT"): "invalid account",
    ("403", "SERVER-ERR"): "unknown error",
    ("404", "INV-NUMBER"): "invalid destination",
    ("405", "SERVER-ERR"): "ESME client error",
    ("406", "SERVER-ERR"): "ESME client error",
    ("407", "SPAM"): "illegal content",
    ("408", "DNDNUMB"): "number in DND register",
    ("430–433", "SERVER-ERR"): "unknown error",
    ("450", "BLACKLST"): "number blocklisted",
    ("451", "SNDR-BLOCK"): "sender ID blocked",
    ("452", "TEMPLATE-NOT-FOUND"): "no matching template",
    ("453", "INV-TEMPLATE"): "template not allotted to the account",
    ("454", "INV-SENDER"): "sender not allotted to the account",
    ("455", "NOT-OPTIN"): "number not in opt-in list",
    ("456", "OPTOUT-REJ"): "number opted out",
    ("457", "PROMO-TMOUT"): "promotional time window exceeded",
    ("458", "REJECTED"): "unknown error",
    ("459", "NOTALLOWED"): "country not allowed",
    ("460", "DUPLICATE"): "same content already sent",
    ("461", "UNDELIV"): "unknown error",
    ("462", "FAILED"): "unknown error",
    ("463", "THROTTLED"): "maximum sent limit reached",
    ("777", "DLT-REJECTED"): "invalid sender or template",
    ("778", "REJ-MULTIPART"): "not all parts delivered",
    ("780", "DLT-INV-TMID"): "invalid DLT telemarketer id",
    ("781", "DLT-INV-ENTITY"): "invalid DLT entity id",
    ("782", "DLT-INV-TM-ID"): "invalid DLT template id",
    ("783", "DLT-TM-VAR-EXECEED"): "template variable longer than 30 chars",
    ("784", "DLT-ENTITY-NOT-FOUND"): "entity id not found",
    ("785", "DLT-TM-BLACKLST"): "template blacklisted",
    ("786", "DLT-ENTITY-BLACKLST"): "entity blacklisted",
    ("787", "DLT-HEADER-INACTIVE"): "sender inactive",
    ("788", "DLT-TM-INACTIVE"): "template inactive",
    ("789", "DLT-SENDER-NOT-REG-TM"): "sender not registered for template",
    ("790", "INV-PROVISION"): "sender invalid provision",
    ("791", "INV-SERVICE"): "invalid service type",
    ("792", "INV-SCHEDULE"): "invalid schedule",
}

PIPELINE = {
    "AWAITING-DLR": "Sent; waiting for the operator's delivery report.",
    "TIMEOUT-DLR": "No delivery report within the timeout; a late report still counts.",
    "SCHEDULED": "Waiting for its scheduled time.",
    "DELETED": "Scheduled send cancelled; charges refunded.",
    "REJECTED": "Refused by the supplier after payment; charges refunded.",
}
BY_STATUS = {}
for (_code, _status), _meaning in CATALOGUED.items():
    BY_STATUS.setdefault(_status, _meaning)

# Billing, as the pipeline does it: a message is charged when accepted; a supplier refusal and a
# cancelled schedule are refunded; a failed receipt is not (the operator was paid to try).
CHARGED = "charged"
REFUNDED = "refunded"
NOT_CHARGED = "not charged"
BILLING_WORDS = {
    CHARGED: "Billed: charged when accepted.",
    REFUNDED: "Not billed: charged when accepted, then refunded.",
    NOT_CHARGED: "Not billed: refused before it was priced or sent.",
}
# Refused by the scrub at accept time (messaging/channels/sms/scrub.py, the pipeline's scrub).
_REFUSED_AT_ACCEPT = {
    "INV-NUMBER", "NOTALLOWED", "INV-SENDER", "TEMPLATE-NOT-FOUND", "INV-TEMPLATE", "DLT-TM-VAR-EXECEED",
    "DLT-TM-BLACKLST", "OPTOUT-REJ", "PROMO-TMOUT", "DUPLICATE",
}  # fmt: skip
_REFUNDED = {"REJECTED", "DELETED"}

# What to do, per status (the code rarely changes the advice).
FIXES = {
    "DELIVRD": "Nothing: the handset received it.",
    "AWAITING-DLR": "Wait: most reports arrive within minutes; some operators take hours.",
    "TIMEOUT-DLR": "Nothing to do now; if the report arrives later the status updates itself.",
    "SCHEDULED": "Cancel it from the campaign page until 5 minutes before it is due, if it should not go.",
    "DELETED": "Nothing: the send was cancelled and its credits came back.",
    "REJECTED": "Retry later; if it keeps happening, tell support the campaign's group id.",
    "INVALID-SUB": "Check the number: the operator does not know it. Remove it from your list.",
    "ABSENT-SUB": "Retry later: the phone is off or out of coverage.",
    "HANDSET-ERR": "The handset cannot take SMS; reach this person another way.",
    "HANDSET-BUSY": "Retry in a few minutes.",
    "BARRED": "The subscriber has SMS barred; reach this person another way.",
    "NET-ERR": "A network fault: retry later; tell support if a whole operator fails.",
    "MEMEXEC": "The handset's memory is full; retry later.",
    "MOB-OFF": "Retry when the phone is likely on.",
    "FAILED": "Retry later; tell support if many messages fail this way.",
    "SERIES-BLK": "The number series is blocked by the operator; tell support.",
    "SERIES-BLOCK": "The number series is blocked by the operator; tell support.",
    "EXPIRED": "The message expired before delivery; resend if it is still useful.",
    "UNDELIV": "Retry later; tell support if many messages fail this way.",
    "NO-CREDITS": "Top up your credits, then resend.",
    "NO-ACCOUNT": "Tell support: the account is not set up with the supplier.",
    "SERVER-ERR": "A supplier fault: retry later.",
    "INV-NUMBER": "Send to the full number with its country code (e.g. 919876543210).",
    "SPAM": "Rewrite the text: the operator flagged its content.",
    "DNDNUMB": "The number is on the do-not-disturb register: send only transactional or service messages.",
    "BLACKLST": "The number is blocklisted: remove it from your list.",
    "SNDR-BLOCK": "The sender ID is blocked: use another approved sender or ask support.",
    "TEMPLATE-NOT-FOUND": "Use the text of an approved DLT template exactly (only its variables change).",
    "INV-TEMPLATE": "Register the template for your account (SMS → Templates) or use one that is.",
    "INV-SENDER": "Use one of your approved sender IDs (SMS → Sender IDs).",
    "NOT-OPTIN": "Collect the person's opt-in before sending.",
    "OPTOUT-REJ": "The person unsubscribed: do not send to them again.",
    "PROMO-TMOUT": "Promotional messages go out only between 09:00 and 21:00 local time: schedule it.",
    "NOTALLOWED": "Sending to this country is not enabled for your account: ask support.",
    "DUPLICATE": "The same text went to this number moments ago; nothing was sent twice.",
    "THROTTLED": "Slow down or spread the campaign out; it retries at the allowed rate.",
    "DLT-REJECTED": "Check that the sender and template are registered together on DLT.",
    "REJ-MULTIPART": "Shorten the text or retry: not every part arrived.",
    "DLT-INV-TMID": "Check the telemarketer id registered on DLT.",
    "DLT-INV-ENTITY": "Check your DLT entity id (account settings).",
    "DLT-INV-TM-ID": "Check the DLT template id: real ones are 19 digits.",
    "DLT-TM-VAR-EXECEED": "Keep each template variable to 30 characters or fewer.",
    "DLT-ENTITY-NOT-FOUND": "Check your DLT entity id with your DLT operator.",
    "DLT-TM-BLACKLST": "The template is blocked: use another approved template.",
    "DLT-ENTITY-BLACKLST": "Your DLT entity is blocked: contact your DLT operator.",
    "DLT-HEADER-INACTIVE": "Reactivate the sender on DLT or use another one.",
    "DLT-TM-INACTIVE": "Reactivate the template on DLT or use another one.",
    "DLT-SENDER-NOT-REG-TM": "Link the sender to this template on DLT.",
    "INV-PROVISION": "Tell support: the sender is not provisioned.",
    "INV-SERVICE": "Send with a service your account has (transactional, service, promotional).",
    "INV-SCHEDULE": "Schedule at least a few minutes ahead and within the allowed window.",
}
UNKNOWN_FIX = "Retry later; tell support the message id if it persists."


@dataclass(frozen=True)
class Explanation:
    status: str
    code: str
    meaning: str  # a sentence
    billing: str  # CHARGED, REFUNDED or NOT_CHARGED
    fix: str

    @property
    def billed(self):
        return self.billing == CHARGED

    @property
    def billing_text(self):
        return BILLING_WORDS[self.billing]


def billing_of(status):
    if status in _REFUNDED:
        return REFUNDED
    if status in _REFUSED_AT_ACCEPT:
        return NOT_CHARGED
    return CHARGED


def explain(status, code=""):
    """A sentence for a status (and code); unknown ones say so rather than guess."""
    return describe(status, code).meaning


@lru_cache(maxsize=1024)
def describe(status, code=""):
    """The table's row for a status and code: meaning, billing, fix."""
    if status in PIPELINE:  # the portal's own meaning (458 REJECTED here is the supplier's refusal)
        meaning = PIPELINE[status]
    elif found := CATALOGUED.get((code, status)) or BY_STATUS.get(status):
        meaning = found[0].upper() + found[1:] + "."
    else:
        meaning = "A status the supplier reported without an explanation."
    return Explanation(status, code, meaning, billing_of(status), FIXES.get(status, UNKNOWN_FIX))


def table():
    """Every catalogued (code, status) then the portal's own statuses, as Explanations."""
    rows = [describe(status, code) for code, status in CATALOGUED]
    rows += [describe(status, "") for status in PIPELINE if status not in {s for _, s in CATALOGUED}]
    return rows


def markdown():
    """The table as docs/status-codes.md holds it (tests/messaging/reports/test_statuses.py)."""
    lines = [
        "# Status and DLR codes",
        "",
        "Generated from `messaging/reports/statuses.py` (`statuses.markdown()`); the message detail",
        "page, the delivery report, campaign reports and exports show the same words.",
        "",
        "Billing: a message is charged when accepted; a supplier refusal and a cancelled scheduled",
        "send are refunded; a failed delivery report is not; a number refused at accept is never charged.",
        "",
        "| code | status | meaning | billed | what to do |",
        "|---|---|---|---|---|",
    ]
    for row in table():
        lines.append(f"| {row.code or '—'} | `{row.status}` | {row.meaning} | {row.billing} | {row.fix} |")
    return "\n".join(lines) + "\n"
