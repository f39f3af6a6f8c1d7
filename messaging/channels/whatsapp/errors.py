"""Cloud API error codes, explained: what the API answer, the message detail and the events say
when the provider (or our own window rule, under the provider's code) refuses a message, and the
codes of our own per-recipient merge-field refusals (`MERGE_REFUSALS`)."""

EXPLAINED = {
    "130429": "Throughput reached: the provider is throttling this business number; the message is retried.",
    "131000": "Something went wrong at the provider; try again later.",
    "131005": "The business number's access token lacks permission to send.",
    "131008": "A required parameter is missing.",
    "131009": "A parameter value is not valid.",
    "131021": "The recipient is the business number itself.",
    "131026": "The message could not be delivered: the number is not on WhatsApp or cannot receive it.",
    "131031": "The business account is locked.",
    "131042": "Payment problem on the WhatsApp Business Account.",
    "131045": "The number's certificate is missing or wrong.",
    "131047": (
        "Re-engagement needed: more than 24 hours since the customer last wrote. Outside the customer-service "
        "window only approved templates can be sent."
    ),
    "131049": (
        "Meta chose not to deliver this marketing template, to keep engagement healthy; wait before sending "
        "this customer another marketing message."
    ),
    "131050": "The customer stopped marketing messages from this business.",
    "131051": "This message type is not supported.",
    "131052": "The customer's media could not be downloaded.",
    "131053": "The media could not be uploaded: unsupported type or size.",
    "131056": "Too many messages from this business number to this customer in a short time (pair rate limit).",
    "132000": "The number of template parameters does not match the template.",
    "132001": "The template does not exist in this language or is not approved.",
    "132005": "The template text is too long once its variables are filled.",
    "132007": "The template breaks WhatsApp's policy.",
    "132015": "The template is paused for low quality.",
    "132016": "The template is disabled for low quality.",
    "133010": "The business number is not registered with the Cloud API.",
}
# Our own refusals, before anything reaches the provider: a composer's merge fields filled in for
# one recipient (`composer.personal_outgoing`) broke a content rule that the typed message kept.
MERGE_EMPTY = "EMPTY"
MERGE_LIMIT = "LIMIT"
MERGE_REFUSALS = {
    MERGE_EMPTY: (
        "Empty once the merge fields are filled in for this recipient (a number that is no contact, or a contact "
        "without that field)."
    ),
    MERGE_LIMIT: "Over a WhatsApp limit once the merge fields are filled in for this recipient.",
}
EXPLAINED.update(MERGE_REFUSALS)
MEDIA_CODES = frozenset({"131052", "131053"})
THROTTLED = "130429"
OUTSIDE_WINDOW = "131047"
MARKETING_STOPPED = "131050"


def explain(code):
    """The explained reason of a provider code ("" for an unknown or empty code)."""
    code = str(code or "")
    return EXPLAINED.get(code, f"Provider error {code}." if code else "")


def error_object(code):
    """The `error` object the API answer, the message detail and events carry."""
    code = str(code or "")
    return {"code": code, "reason": explain(code)} if code else None
