"""What each status means, in words a customer reads beside a number (the catalogued DLR
codes, then the pipeline's own statuses)."""

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
_BY_STATUS = {}
for (_code, _status), _meaning in CATALOGUED.items():
    _BY_STATUS.setdefault(_status, _meaning)


def explain(status, code=""):
    """A sentence for a status (and code); unknown ones say so rather than guess."""
    if status in PIPELINE:  # the portal's own meaning (458 REJECTED here is the supplier's refusal)
        return PIPELINE[status]
    meaning = CATALOGUED.get((code, status)) or _BY_STATUS.get(status)
    if meaning:
        return meaning[0].upper() + meaning[1:] + "."
    return "A status the supplier reported without an explanation."
