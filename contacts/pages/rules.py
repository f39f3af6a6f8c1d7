"""The segment rule builder: the fields and operators a row offers, and turning the posted rows
into the rule tree the segment services validate (and back, to edit a saved segment)."""

from contacts.models import IdentifierType, SubscriptionChannel, Tag
from contacts.services.segments import (
    ATTRIBUTE_OPS,
    CONTACT_DATE_FIELDS,
    DATE_OPS,
    IDENTIFIER_OPS,
    SUBSCRIPTION_OPS,
    TAG_OPS,
    TEXT_OPS,
    UNARY,
)

OP_LABELS = {
    "eq": "is",
    "neq": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "in": "is one of",
    "empty": "is empty",
    "not_empty": "is not empty",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "exists": "is set",
    "not_exists": "is not set",
    "before": "is before",
    "after": "is after",
    "on_or_before": "is on or before",
    "on_or_after": "is on or after",
    "within_days": "is within the last (days)",
    "any": "has any of",
    "all": "has all of",
    "none": "has none of",
    "subscribed": "is subscribed",
    "unsubscribed": "is unsubscribed",
}
OPS = {
    "text": TEXT_OPS,
    "attribute": ATTRIBUTE_OPS,
    "date": DATE_OPS,
    "tags": TAG_OPS,
    "identifier": IDENTIFIER_OPS,
    "subscription": SUBSCRIPTION_OPS,
}
FIELD_GROUPS = [
    (
        "Contact",
        [
            ("first_name", "First name"),
            ("last_name", "Last name"),
            ("identity", "Identity"),
            ("company", "Company"),
            ("gender", "Gender"),
            ("country", "Country"),
            ("region", "Region"),
            ("city", "City"),
            ("locality", "Locality"),
            ("postal_code", "Postal code"),
        ],
    ),
    ("Dates", [("birth_date", "Birth date"), ("created_at", "Created"), ("updated_at", "Updated")]),
    ("Tags", [("tags", "Tags")]),
    ("Attributes", [("attributes", "Attribute…")]),
    ("Identifiers", [(f"identifier.{v}", f"{label} identifier") for v, label in IdentifierType.choices]),
    ("Subscriptions", [(f"subscription.{v}", f"{label} subscription") for v, label in SubscriptionChannel.choices]),
]
DEFAULT_FIELD = "tags"


def kind_of(field):
    if field == "tags":
        return "tags"
    if field.startswith("attributes"):
        return "attribute"
    if field.startswith("identifier."):
        return "identifier"
    if field.startswith("subscription."):
        return "subscription"
    if field in CONTACT_DATE_FIELDS:
        return "date"
    return "text"


def row(field=DEFAULT_FIELD, key="", op="", value=""):
    """One builder row with the operators its field allows."""
    field = field or DEFAULT_FIELD
    kind = kind_of(field)
    ops = [(o, OP_LABELS.get(o, o)) for o in OPS[kind]]
    if op not in OPS[kind]:
        op = ops[0][0]
    return {
        "field": "attributes" if kind == "attribute" else field,
        "key": key,
        "op": op,
        "value": value,
        "kind": kind,
        "ops": ops,
        "unary": op in UNARY,
        "input_type": "date" if kind == "date" and op != "within_days" else "text",
    }


def rows_from_post(post):
    fields, keys = post.getlist("rule_field"), post.getlist("rule_key")
    ops, values = post.getlist("rule_op"), post.getlist("rule_value")
    out = []
    for i, field in enumerate(fields):
        out.append(
            row(
                field,
                keys[i] if i < len(keys) else "",
                ops[i] if i < len(ops) else "",
                values[i] if i < len(values) else "",
            )
        )
    return out


def _split(value):
    return [part.strip() for part in str(value).split(",") if part.strip()]


def conditions_from_rows(rows):
    """The rule tree's conditions; tag names and `in` lists are comma separated in the page."""
    conditions = []
    for r in rows:
        field = f"attributes.{r['key'].strip()}" if r["kind"] == "attribute" else r["field"]
        cond = {"field": field, "op": r["op"]}
        if not r["unary"]:
            value = r["value"]
            cond["value"] = _split(value) if r["kind"] == "tags" or r["op"] == "in" else value.strip()
        conditions.append(cond)
    return conditions


def rows_from_rules(account, rules):
    """Builder rows of a saved segment's top-level conditions (nested groups are kept aside)."""
    conditions = [c for c in (rules or {}).get("conditions", []) if "conditions" not in c]
    tag_ids = {i for c in conditions if c.get("field") == "tags" for i in c.get("value") or []}
    names = dict(Tag.objects.for_account(account).filter(pk__in=tag_ids).values_list("pk", "name")) if tag_ids else {}
    out = []
    for c in conditions:
        field, value = c.get("field", ""), c.get("value", "")
        key = ""
        if field.startswith("attributes."):
            field, key = "attributes", field[len("attributes.") :]
        if c.get("field") == "tags":
            value = ", ".join(names.get(i, str(i)) for i in value or [])
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.append(row(field, key, c.get("op", ""), "" if value is None else str(value)))
    return out


def nested_groups(rules):
    return [c for c in (rules or {}).get("conditions", []) if "conditions" in c]


def error_lines(errors):
    """ValidationFailed keys (`rules.conditions.1.value`) as lines a person reads (“Rule 2: …”)."""
    lines = []
    for key, messages in errors.items():
        parts = key.split(".")
        prefix = ""
        if len(parts) >= 3 and parts[0] == "rules" and parts[1] == "conditions" and parts[2].isdigit():
            prefix = f"Rule {int(parts[2]) + 1}: "
        lines += [f"{prefix}{m}" for m in messages]
    return lines
