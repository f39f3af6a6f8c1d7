"""The Send SMS composer's logic, shared by its preview and its send: the message built from an
approved template and its variables or typed freely, merge fields per recipient, short links, and
the explanation of a text no approved template matches. The pages (`views.py`) only read the form
and render; the pieces the pipeline's composers share live in `messaging.pipeline.compose`, those every
channel shares (voice too) in `portal.core.audience` and `portal.composer`."""

from dataclasses import dataclass, field

from messaging.channels.sms import context
from messaging.channels.sms.sending import Outgoing, quote
from messaging.dlt.matcher import TemplateMatcher
from messaging.dlt.rules import MAX_VARIABLE_LENGTH, VARIABLE, variables
from messaging.links.services import shorten
from messaging.pipeline import compose
from messaging.senders.models import ReviewStatus, Template
from messaging.services.products import ProductNotEnabled, require_product
from portal.core.audience import Audience
from portal.core.tenancy import is_uuid

# What each refusal means, in the words the summary and the flash use.
REFUSAL_LABELS = {
    "INV-NUMBER": "Invalid numbers",
    "NOTALLOWED": "To countries you can't send to",
    "INV-SENDER": "Sender ID not approved for this service",
    "TEMPLATE-NOT-FOUND": "Match no approved DLT template",
    "INV-TEMPLATE": "Template not approved",
    "DLT-TM-VAR-EXECEED": "A template variable is too long",
    "DLT-TM-BLACKLST": "Template blocked",
    "OPTOUT-REJ": "Opted out",
    "PROMO-TMOUT": "Outside promotional hours",
    "DUPLICATE": "Duplicates",
    "REJECTED": "Refused",
}
ACCEPTED_STATUSES = {"AWAITING-DLR", "SCHEDULED"}
TEMPLATE_REFUSALS = {"TEMPLATE-NOT-FOUND", "DLT-TM-VAR-EXECEED", "INV-TEMPLATE"}
PREVIEW_RECIPIENTS = 3  # per-recipient texts shown when merge fields make them differ


def approved_templates(account):
    return (
        Template.objects.for_account(account)
        .filter(status=ReviewStatus.APPROVED)
        .select_related("sender", "sender__product")
        .order_by("name", "id")
    )


def find_template(account, value):
    """The account's approved template by uuid, or None."""
    if not value or not is_uuid(value):
        return None
    return approved_templates(account).filter(uuid=value).first()


@dataclass
class Variable:
    name: str
    value: str
    problem: str = ""

    @property
    def limit(self):
        return MAX_VARIABLE_LENGTH


def template_variables(template, values):
    """Each variable of the template with its value from `values` (`var_<name>` keys) and what is
    wrong with it by DLT's rules. A value with merge fields is measured per recipient by the send."""
    result = []
    for name in variables(template.body):
        value = str(values.get(f"var_{name}", "") or "")
        problem = ""
        if not value:
            problem = "Required."
        elif len(value) > MAX_VARIABLE_LENGTH and not compose.merge_names(value):
            problem = f"{len(value)} characters: at most {MAX_VARIABLE_LENGTH}."
        result.append(Variable(name, value, problem))
    return result


def fill(template, filled):
    """The template's body with each variable replaced by its value."""
    values = {v.name: v.value for v in filled}
    return VARIABLE.sub(lambda m: values.get(m.group(1), ""), template.body)


@dataclass
class Composition:
    """A composed send: its recipients, one Outgoing each, and what the page shows about it."""

    audience: Audience
    outgoing: list = field(default_factory=list)
    text: str = ""  # before merge fields
    template: object = None
    variables: list = field(default_factory=list)
    links: list = field(default_factory=list)  # (code, long URL) from `shorten`
    merged: bool = False


def compose_send(account, data, *, files=(), strict=True):
    """Build a send from the composer's fields (`data`: a dict of the form's values, `var_*`
    included). The same function serves the preview (not strict) and the send (strict)."""
    template = data.get("template_obj")
    filled = []
    if template is not None:
        filled = template_variables(template, data)
        text = fill(template, filled)
    else:
        text = data.get("message", "") or ""
    links = []
    if data.get("shorten"):
        text, links = shorten(text)  # before units are counted: the short text is what goes out
    follow_up = data.get("follow_up_obj")
    audience = compose.audience(
        account,
        typed=data.get("recipients", ""),
        files=files,
        segment_ids=data.get("segments") or None,
        follow_up=follow_up,
        strict=strict,
    )
    texts = compose.personalise(account, text, audience.numbers)
    template_id = template.template_id if template is not None else ""
    sender = data.get("sender", "")
    outgoing = [
        Outgoing(to=n, sender=sender, message=t, type=data.get("type") or "A", template_id=template_id)
        for n, t in zip(audience.numbers, texts, strict=True)
    ]
    return Composition(
        audience=audience,
        outgoing=outgoing,
        text=text,
        template=template,
        variables=filled,
        links=links,
        merged=bool(compose.merge_names(text)),
    )


def as_test(composition, number, *, sender, type="A"):
    """The composition as a test: one message to `number`, with the text the first recipient
    would get (merge fields filled as for them), or the text with empty merge fields."""
    first = composition.outgoing[0] if composition.outgoing else None
    text = first.message if first is not None else compose.merge(composition.text, {})
    template_id = composition.template.template_id if composition.template is not None else ""
    return Composition(
        audience=Audience(numbers=[number], typed=1),
        outgoing=[Outgoing(to=number, sender=sender, message=text, type=type,
                           template_id=template_id)],
        text=composition.text,
        template=composition.template,
        variables=composition.variables,
        links=composition.links,
        merged=composition.merged,
    )  # fmt: skip


def quote_composition(account, product_code, composition):
    return quote(account=account, product_code=product_code, outgoing=composition.outgoing)


@dataclass
class Explanation:
    """Why a text is refused by the DLT rules, and the template it came closest to."""

    reason: str
    detail: str
    template_name: str = ""
    template_id: str = ""
    text_before: str = ""
    text_after: str = ""
    body_before: str = ""
    body_mark: str = ""
    body_after: str = ""


def explain(account, product_code, text, template_id=""):
    """The DLT matcher's verdict on `text` for a product that needs templates, with the closest
    approved template and the part where they differ; None when the text matches or the product
    needs no template."""
    try:
        product = require_product(account, product_code)
    except ProductNotEnabled:
        return None
    if not product.requires_dlt or not text:
        return None
    ctx = context.build(account, product)
    if template_id:
        registered = ctx.templates_by_dlt_id.get(template_id)
        if registered is None:
            return Explanation("INV-TEMPLATE", f"Template {template_id} is not an approved template of yours.")
        matcher = TemplateMatcher([(template_id, registered[1])])
        names = {template_id: template_id}
    else:
        matcher = ctx.matcher
        by_pk = {t.pk: t for t in approved_templates(account)}
        names = {pk: t.name for pk, t in by_pk.items()}
    if matcher is None or not matcher.size:
        return Explanation("no_template", "You have no approved DLT template yet.")
    result = matcher.match(text)
    if result.matched:
        return None
    closest = matcher.closest(text)
    explanation = Explanation(result.reason, result.detail)
    if closest is not None:
        text = text.replace("\r\n", "\n")
        explanation.template_name = str(names.get(closest.template_key, closest.template_key))
        explanation.template_id = ctx.template_ids_by_key.get(closest.template_key, template_id)
        explanation.text_before, explanation.text_after = text[: closest.text_at], text[closest.text_at :]
        body = closest.body
        explanation.body_before = body[: closest.body_at]
        explanation.body_mark = body[closest.body_at : closest.body_end]
        explanation.body_after = body[closest.body_end :]
    return explanation
