"""Segments: static member lists and dynamic rules compiled to one SQL query.

A dynamic segment is `positive tags AND NOT negative tags AND rules`; every part becomes a Django `Q`
(EXISTS sub-queries for tags, identifiers and subscriptions; JSON operators for attributes), so a count or
a send over a million contacts runs in PostgreSQL and never walks contacts in Python. The rule language is
described in docs/contacts.md.
"""

import json
import re
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform, KeyTransformExact
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.services import audit
from contacts.models import (
    Contact,
    ContactTag,
    Identifier,
    IdentifierType,
    Segment,
    SegmentMember,
    SegmentType,
    Subscription,
    SubscriptionChannel,
    SubscriptionStatus,
    Tag,
    TagOperator,
)
from contacts.services.contacts import ATTRIBUTE_KEY, canonical_type
from portal.api.formats import resource_time
from portal.core.errors import ValidationFailed

CREATED = "Segment created successfully"
UPDATED = "Segment updated successfully"
DELETED = "Segment deleted successfully"

MAX_CONDITIONS = 50
MAX_TAG_LIST = 100  # tags named in one list of a segment (a contact carries at most 100 too)
MAX_SEGMENTS = 100  # segments one send may name in group_id
MAX_DEPTH = 3
NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")

CONTACT_TEXT_FIELDS = (
    "identity",
    "first_name",
    "middle_name",
    "last_name",
    "gender",
    "company",
    "country",
    "region",
    "city",
    "locality",
    "postal_code",
)
CONTACT_DATE_FIELDS = ("birth_date", "created_at", "updated_at")
TEXT_OPS = ("eq", "neq", "contains", "not_contains", "starts_with", "in", "empty", "not_empty")
ATTRIBUTE_OPS = (*TEXT_OPS, "gt", "gte", "lt", "lte", "exists", "not_exists")
DATE_OPS = ("eq", "before", "after", "on_or_before", "on_or_after", "within_days", "empty", "not_empty")
TAG_OPS = ("any", "all", "none")
IDENTIFIER_OPS = ("exists", "not_exists", "eq", "contains", "starts_with")
SUBSCRIPTION_OPS = ("subscribed", "unsubscribed")
# The address a send on each channel goes to.
RECIPIENT_TYPES = {
    SubscriptionChannel.SMS: (IdentifierType.PHONE,),
    SubscriptionChannel.VOICE: (IdentifierType.PHONE,),
    SubscriptionChannel.WHATSAPP: (IdentifierType.WHATSAPP,),
    SubscriptionChannel.RCS: (IdentifierType.RCS,),
    SubscriptionChannel.VIBER: (IdentifierType.VIBER,),
    SubscriptionChannel.EMAIL: (IdentifierType.EMAIL,),
}
# Operators that take no value.
UNARY = {"empty", "not_empty", "exists", "not_exists", "subscribed", "unsubscribed"}


# --- output -------------------------------------------------------------------------------


def _tag_names(account_id, ids, names_by_id=None):
    if not ids:
        return []
    if names_by_id is None:
        names_by_id = dict(Tag.objects.filter(account_id=account_id, pk__in=ids).values_list("pk", "name"))
    return [names_by_id[i] for i in ids if i in names_by_id]


def segment_data(segment, names_by_id=None):
    """The segment object: the catalogued tag fields (names) plus type, rules and the last member count."""
    account_id = segment.account_id
    return {
        "id": segment.pk,
        "name": segment.name,
        "type": segment.type,
        "positive_tags": _tag_names(account_id, segment.positive_tags, names_by_id),
        "positive_tags_operator": segment.positive_tags_operator,
        "negative_tags": _tag_names(account_id, segment.negative_tags, names_by_id),
        "negative_tags_operator": segment.negative_tags_operator,
        "rules": segment.rules or {},
        "subscribers_count": segment.member_count,
        "counted_at": resource_time(segment.counted_at),
        "created_at": resource_time(segment.created_at),
        "updated_at": resource_time(segment.updated_at),
    }


def tag_names_for(segments):
    """{tag id: name} for a page of segments, in one query."""
    segments = list(segments)
    ids = {i for s in segments for i in (*s.positive_tags, *s.negative_tags)}
    if not segments or not ids:
        return {}
    return dict(Tag.objects.filter(account_id=segments[0].account_id, pk__in=ids).values_list("pk", "name"))


# --- validation -----------------------------------------------------------------------------


def _err(errors, field, message):
    errors.setdefault(field, []).append(message)


def _tag_ids(account, raw, field, errors):
    """Tag names or ids -> ids of the account's tags; unknown ones are a 422."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [p.strip() for p in raw.split(",") if p.strip()]
    if not isinstance(raw, list | tuple):
        _err(errors, field, f"The {field.replace('_', ' ')} must be an array.")
        return []
    if len(raw) > MAX_TAG_LIST:
        _err(errors, field, f"The {field.replace('_', ' ')} may not have more than {MAX_TAG_LIST} items.")
        return []
    tags = Tag.objects.for_account(account)
    by_name = dict(tags.filter(name__in=[str(v).strip() for v in raw]).values_list("name", "pk"))
    numeric = [int(v) for v in raw if isinstance(v, int) and not isinstance(v, bool)]
    by_id = set(tags.filter(pk__in=numeric).values_list("pk", flat=True)) if numeric else set()
    ids = []
    for value in raw:
        if isinstance(value, int) and not isinstance(value, bool) and value in by_id:
            tag_id = value
        else:
            tag_id = by_name.get(str(value).strip())
        if tag_id is None:
            _err(errors, field, f'The tag "{value}" does not exist.')
        elif tag_id not in ids:
            ids.append(tag_id)
    return ids


def _operator(raw, field, errors, default):
    value = str(raw or "").strip().lower() or default
    if value not in TagOperator.values:
        _err(errors, field, f"The selected {field.replace('_', ' ')} is invalid (any, all).")
    return value


def _date_value(value, path, errors):
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        _err(errors, f"{path}.value", "The value must be a date (yyyy-mm-dd).")
        return None


def _condition(account, cond, path, errors):
    """One validated condition (tag names resolved to ids), or None when it is wrong."""
    field = str(cond.get("field") or "").strip()
    op = str(cond.get("op") or "").strip().lower()
    value = cond.get("value")
    if not field:
        _err(errors, f"{path}.field", "The field is required.")
        return None
    if field == "tags":
        allowed = TAG_OPS
    elif field.startswith("attributes."):
        allowed = ATTRIBUTE_OPS
        if not ATTRIBUTE_KEY.match(field[len("attributes.") :]):
            _err(errors, f"{path}.field", "Attribute names are 1-64 letters, digits, spaces, '.', '-' or '_'.")
            return None
    elif field.startswith("identifier."):
        allowed = IDENTIFIER_OPS
        if canonical_type(field[len("identifier.") :]) not in IdentifierType.values:
            _err(errors, f"{path}.field", f"Unknown identifier type in {field}.")
            return None
        field = "identifier." + canonical_type(field[len("identifier.") :])
    elif field.startswith("subscription."):
        allowed = SUBSCRIPTION_OPS
        if field[len("subscription.") :] not in SubscriptionChannel.values:
            _err(errors, f"{path}.field", f"Unknown channel in {field}.")
            return None
    elif field in CONTACT_TEXT_FIELDS:
        allowed = TEXT_OPS
    elif field in CONTACT_DATE_FIELDS:
        allowed = DATE_OPS
    else:
        _err(errors, f"{path}.field", f"The field {field} cannot be used in a rule.")
        return None
    if op not in allowed:
        _err(errors, f"{path}.op", f"The operator for {field} must be one of: {', '.join(allowed)}.")
        return None
    out = {"field": field, "op": op}
    if op in UNARY:
        return out
    if field == "tags":
        ids = _tag_ids(account, value, f"{path}.value", errors)
        if not ids and f"{path}.value" not in errors:
            _err(errors, f"{path}.value", "Name at least one tag.")
        out["value"] = ids
    elif op == "in":
        if not isinstance(value, list) or not value or any(isinstance(v, dict | list) for v in value):
            _err(errors, f"{path}.value", "The value must be a non-empty array of values.")
        out["value"] = value
    elif op == "within_days":
        try:
            out["value"] = int(value)
            if out["value"] < 0:
                raise ValueError
        except (TypeError, ValueError):
            _err(errors, f"{path}.value", "The value must be a whole number of days.")
    elif field in CONTACT_DATE_FIELDS:
        parsed = _date_value(value, path, errors)
        out["value"] = parsed.isoformat() if parsed else value
    elif op in ("gt", "gte", "lt", "lte"):
        if isinstance(value, bool) or not NUMERIC.match(str(value).strip()):
            _err(errors, f"{path}.value", "The value must be a number.")
        out["value"] = value
    else:
        if value is None or isinstance(value, dict | list) or str(value) == "":
            _err(errors, f"{path}.value", "The value is required.")
        out["value"] = value
    return out


def _group(account, group, path, errors, depth, counter):
    if not isinstance(group, dict):
        _err(errors, path, "A rule group must be an object.")
        return None
    match = str(group.get("match") or "all").strip().lower()
    if match not in ("all", "any"):
        _err(errors, f"{path}.match", "The match must be all or any.")
    conditions = group.get("conditions", [])
    if not isinstance(conditions, list):
        _err(errors, f"{path}.conditions", "The conditions must be an array.")
        return None
    out = []
    for i, cond in enumerate(conditions):
        sub = f"{path}.conditions.{i}"
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            _err(errors, "rules", f"A segment may have at most {MAX_CONDITIONS} conditions.")
            return None
        if isinstance(cond, dict) and "conditions" in cond:
            if depth >= MAX_DEPTH:
                _err(errors, sub, f"Rule groups nest at most {MAX_DEPTH} levels deep.")
                continue
            nested = _group(account, cond, sub, errors, depth + 1, counter)
            if nested is not None:
                out.append(nested)
        elif isinstance(cond, dict):
            cleaned = _condition(account, cond, sub, errors)
            if cleaned is not None:
                out.append(cleaned)
        else:
            _err(errors, sub, "A condition must be an object.")
    return {"match": match, "conditions": out}


def normalize_rules(account, rules, errors=None):
    """Validate a rule tree; tag names become ids. Raises ValidationFailed unless `errors` is passed."""
    own = errors is None
    errors = {} if own else errors
    if rules in (None, "", {}):
        return {}
    cleaned = _group(account, rules, "rules", errors, 1, [0])
    if own and errors:
        raise ValidationFailed(errors)
    return cleaned or {}


def _validated(account, data, existing=None, *, full=False):
    errors, out = {}, {}
    if existing is None or "name" in data or full:
        name = str(data.get("name") if data.get("name") is not None else "").strip()
        if not name:
            _err(errors, "name", "The name field is required.")
        elif len(name) > 100:
            _err(errors, "name", "The name may not be greater than 100 characters.")
        out["name"] = name
    if "type" in data or existing is None:
        kind = str(data.get("type") or "").strip().lower() or (existing.type if existing else SegmentType.DYNAMIC)
        if kind not in SegmentType.values:
            _err(errors, "type", "The selected type is invalid (dynamic, static).")
        out["type"] = kind
    kind = out.get("type") or existing.type
    if full and kind == SegmentType.DYNAMIC:
        # The edit body lists the four tag fields as required (empty arrays are allowed).
        for field in ("positive_tags", "positive_tags_operator", "negative_tags", "negative_tags_operator"):
            if field not in data:
                _err(errors, field, f"The {field.replace('_', ' ')} field is required.")
    for field in ("positive_tags", "negative_tags"):
        if field in data:
            out[field] = _tag_ids(account, data.get(field), field, errors)
    for field in ("positive_tags_operator", "negative_tags_operator"):
        if field in data:
            out[field] = _operator(data.get(field), field, errors, TagOperator.ANY)
    if "rules" in data:
        out["rules"] = normalize_rules(account, data.get("rules"), errors)
    members = None
    if "members" in data:
        members = _member_ids(account, data.get("members"), errors)
    if errors:
        raise ValidationFailed(errors)
    return out, members


def _member_ids(account, raw, errors):
    if not isinstance(raw, list | tuple):
        _err(errors, "members", "The members must be an array of contact ids.")
        return None
    try:
        ids = list(dict.fromkeys(int(v) for v in raw))
    except (TypeError, ValueError):
        _err(errors, "members", "The members must be an array of contact ids.")
        return None
    found = set(Contact.objects.for_account(account).filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in found]
    if unknown:
        _err(errors, "members", f"The selected members are invalid: {', '.join(map(str, unknown[:10]))}.")
    return ids


# --- state changes ------------------------------------------------------------------------------


def create_segment(*, account, data, actor=None, request=None):
    """Create a dynamic (default) or static segment and take its first member count."""
    fields, members = _validated(account, data)
    with transaction.atomic():
        segment = Segment.objects.create(account=account, **fields)
        if members and segment.type == SegmentType.STATIC:
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, contact_id=i) for i in members], ignore_conflicts=True
            )
        count_segment(segment)
    audit.record("segment.created", account=account, actor=actor, request=request, target=segment.name)
    return segment


def update_segment(*, segment, data, actor=None, request=None, full=True):
    """Change the fields present in `data`; `members` (static) replaces the member list.

    `full` is the v2 PUT rule (name and, for dynamic segments, the four tag fields required); pages that
    edit one part pass full=False.
    """
    fields, members = _validated(segment.account, data, existing=segment, full=full)
    with transaction.atomic():
        for key, value in fields.items():
            setattr(segment, key, value)
        segment.save()
        if members is not None:
            SegmentMember.objects.filter(segment=segment).exclude(contact_id__in=members).delete()
            SegmentMember.objects.bulk_create(
                [SegmentMember(segment=segment, contact_id=i) for i in members], ignore_conflicts=True
            )
        count_segment(segment)
    audit.record("segment.updated", account=segment.account, actor=actor, request=request, target=segment.name)
    return segment


def delete_segment(*, segment, actor=None, request=None):
    name = segment.name
    with transaction.atomic():
        segment.delete()
    audit.record("segment.deleted", account=segment.account, actor=actor, request=request, target=name)


def add_segment_members(*, segment, contact_ids):
    """Add the account's contacts among `contact_ids` to a static segment; returns how many were new."""
    ids = Contact.objects.for_account(segment.account).filter(pk__in=list(contact_ids)).values_list("pk", flat=True)
    with transaction.atomic():
        before = SegmentMember.objects.filter(segment=segment).count()
        SegmentMember.objects.bulk_create(
            [SegmentMember(segment=segment, contact_id=i) for i in ids], ignore_conflicts=True
        )
        added = SegmentMember.objects.filter(segment=segment).count() - before
        count_segment(segment)
    return added


def remove_segment_members(*, segment, contact_ids):
    with transaction.atomic():
        removed, _ = SegmentMember.objects.filter(segment=segment, contact_id__in=list(contact_ids)).delete()
        count_segment(segment)
    return removed


def drop_tag_from_segments(*, account, tag_id):
    """A deleted tag leaves the tag lists and rules of every segment that named it."""
    segments = Segment.objects.for_account(account).select_for_update()
    for segment in segments:
        changed = False
        for field in ("positive_tags", "negative_tags"):
            ids = getattr(segment, field) or []
            if tag_id in ids:
                setattr(segment, field, [i for i in ids if i != tag_id])
                changed = True
        if segment.rules:
            rules, rule_changed = _drop_tag(segment.rules, tag_id)
            if rule_changed:
                segment.rules, changed = rules, True
        if changed:
            segment.save(update_fields=["positive_tags", "negative_tags", "rules", "updated_at"])


def _drop_tag(group, tag_id):
    changed, out = False, []
    for cond in group.get("conditions", []):
        if "conditions" in cond:
            nested, nested_changed = _drop_tag(cond, tag_id)
            changed |= nested_changed
            out.append(nested)
        elif cond.get("field") == "tags" and tag_id in cond.get("value", []):
            changed = True
            remaining = [i for i in cond["value"] if i != tag_id]
            if remaining:
                out.append({**cond, "value": remaining})
        else:
            out.append(cond)
    return {**group, "conditions": out}, changed


# --- evaluation ---------------------------------------------------------------------------------


# Membership tests are correlated EXISTS: a semi-/anti-join under AND; under OR PostgreSQL probes the
# (contact, ...) index per row. An uncorrelated `IN (...)` is only used where it is ANDed into the query
# (counts, see `counted_contacts()`): there it becomes a hashed semi-join, while under OR it would be
# rescanned for every row once it outgrows work_mem.


def _member_of(queryset):
    return Q(Exists(queryset.filter(contact=OuterRef("pk"))))


def _absent_from(queryset):
    return ~Q(Exists(queryset.filter(contact=OuterRef("pk"))))


def _tagged(tag_ids):
    return ContactTag.objects.filter(tag_id__in=list(tag_ids))


def _tags_q(tag_ids, operator):
    """Contacts carrying any / all of `tag_ids`."""
    if operator == TagOperator.ALL:
        q = Q()
        for tag_id in tag_ids:
            q &= _member_of(_tagged([tag_id]))
        return q
    return _member_of(_tagged(tag_ids))


def _not_tags_q(tag_ids, operator):
    """Contacts lacking any / all of `tag_ids` (the negative list: NOT any = none; NOT all = lacks one)."""
    if operator == TagOperator.ALL:
        q = _absent_from(_tagged([tag_ids[0]]))
        for tag_id in tag_ids[1:]:
            q |= _absent_from(_tagged([tag_id]))
        return q
    return _absent_from(_tagged(tag_ids))


def _text_q(lookup_base, op, value):
    """Text comparisons on a column or an attribute's text (case-insensitive where users expect it)."""
    if op == "eq":
        return Q(**{f"{lookup_base}__iexact": str(value)})
    if op == "neq":
        return ~Q(**{f"{lookup_base}__iexact": str(value)}) | Q(**{f"{lookup_base}__isnull": True})
    if op == "contains":
        return Q(**{f"{lookup_base}__icontains": str(value)})
    if op == "not_contains":
        return ~Q(**{f"{lookup_base}__icontains": str(value)}) | Q(**{f"{lookup_base}__isnull": True})
    if op == "starts_with":
        return Q(**{f"{lookup_base}__istartswith": str(value)})
    if op == "in":
        return Q(**{f"{lookup_base}__in": [str(v) for v in value]})
    if op == "empty":
        return Q(**{f"{lookup_base}__isnull": True}) | Q(**{lookup_base: ""})
    if op == "not_empty":
        return Q(**{f"{lookup_base}__isnull": False}) & ~Q(**{lookup_base: ""})
    raise ValueError(op)


def _json_variants(value):
    """The JSON values an attribute equal to `value` may hold: imports store text, the API may send numbers."""
    variants = [value]
    if isinstance(value, str) and NUMERIC.match(value.strip()):
        number = float(value) if "." in value else int(value)
        variants.append(number)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        variants.append(str(value))
    elif isinstance(value, str) and value.lower() in ("true", "false"):
        variants.append(value.lower() == "true")
    elif isinstance(value, bool):
        variants.append("true" if value else "false")
    return variants


def _attribute_q(key, op, value):
    if op in ("eq", "neq", "in"):
        values = value if op == "in" else [value]
        q = Q()
        for v in values:
            for variant in _json_variants(v):
                q |= _attr_is(key, variant)
        if op != "neq":
            return q
        # A missing key is "not equal": NOT containment says so on PostgreSQL; SQLite's comparison is NULL there.
        return ~q if connection.vendor == "postgresql" else ~q | ~Q(attributes__has_key=key)
    if op == "exists":
        return Q(attributes__has_key=key)
    if op == "not_exists":
        return ~Q(attributes__has_key=key)
    text = KeyTextTransform(key, "attributes")
    if op in ("gt", "gte", "lt", "lte"):
        # CASE keeps the cast away from non-numeric text (a WHERE clause has no evaluation order).
        number = Case(
            When(_attr_text_matches(key), then=Cast(text, FloatField())),
            default=Value(None),
            output_field=FloatField(),
        )
        return Q(_lookup(number, op, float(value)))
    if op in ("empty", "not_empty") and connection.vendor != "postgresql":
        # SQLite's text of a missing key and of a JSON null are both NULL.
        blank = Q(_lookup(text, "isnull", True)) | Q(_lookup(text, "exact", ""))
        return blank if op == "empty" else ~blank
    if op == "empty":
        return ~Q(attributes__has_key=key) | _attr_is(key, "") | _attr_is(key, None)
    if op == "not_empty":
        return Q(attributes__has_key=key) & ~_attr_is(key, "") & ~_attr_is(key, None)
    lookup = {"contains": "icontains", "not_contains": "icontains", "starts_with": "istartswith"}[op]
    q = Q(_lookup(text, lookup, str(value)))
    return ~q | ~Q(attributes__has_key=key) if op == "not_contains" else q


def _attr_is(key, value):
    """The attribute `key` holds exactly the JSON `value`. On PostgreSQL, containment (`attributes @> {"k": v}`)
    is answered by the GIN index; SQLite has no containment, so the key's JSON value is compared instead."""
    if connection.vendor == "postgresql":
        return Q(attributes__contains={key: value})
    return Q(KeyTransformExact(KeyTransform(key, "attributes"), None if value is None else json.dumps(value)))


def _lookup(expression, lookup_name, value):
    """A lookup on an expression, usable inside Q (e.g. icontains on an attribute's text)."""
    lookup_class = expression.output_field.get_lookup(lookup_name)
    return lookup_class(expression, value)


def _attr_text_matches(key):
    return _lookup(KeyTextTransform(key, "attributes"), "regex", NUMERIC.pattern)


def _date_q(field, op, value):
    if op == "empty":
        return Q(**{f"{field}__isnull": True})
    if op == "not_empty":
        return Q(**{f"{field}__isnull": False})
    if op == "within_days":
        since = timezone.now() - timedelta(days=int(value))
        if field == "birth_date":
            return Q(birth_date__gte=since.date(), birth_date__lte=timezone.now().date())
        return Q(**{f"{field}__gte": since})
    day = date.fromisoformat(value)
    base = field if field == "birth_date" else f"{field}__date"
    lookup = {"eq": "", "before": "__lt", "after": "__gt", "on_or_before": "__lte", "on_or_after": "__gte"}[op]
    return Q(**{f"{base}{lookup}": day})


def _identifier_q(account_id, type_, op, value):
    if op == "not_exists":
        return _absent_from(Identifier.objects.filter(account_id=account_id, type=type_))
    return _member_of(_identifiers(account_id, type_, op, value))


def _identifiers(account_id, type_, op, value):
    """The account's identifiers of `type_` matching a positive identifier operator."""
    qs = Identifier.objects.filter(account_id=account_id, type=type_)
    if op == "eq":
        from contacts.services.contacts import normalize_identifier

        try:
            qs = qs.filter(value=normalize_identifier(type_, value))
        except ValidationFailed:
            qs = qs.filter(value=str(value))
    elif op == "contains":
        qs = qs.filter(value__icontains=str(value))
    elif op == "starts_with":
        qs = qs.filter(value__istartswith=str(value).lstrip("+"))
    return qs


def _opted_out(account_id, channel):
    return Subscription.objects.filter(account_id=account_id, channel=channel, status=SubscriptionStatus.UNSUBSCRIBED)


def _subscription_q(account_id, channel, op):
    opted_out = _opted_out(account_id, channel)
    return _member_of(opted_out) if op == "unsubscribed" else _absent_from(opted_out)


def _condition_q(cond, account_id):
    field, op, value = cond["field"], cond["op"], cond.get("value")
    if field == "tags":
        if op == "none":
            return _not_tags_q(value, TagOperator.ANY)
        return _tags_q(value, TagOperator.ALL if op == "all" else TagOperator.ANY)
    if field.startswith("attributes."):
        return _attribute_q(field[len("attributes.") :], op, value)
    if field.startswith("identifier."):
        return _identifier_q(account_id, field[len("identifier.") :], op, value)
    if field.startswith("subscription."):
        return _subscription_q(account_id, field[len("subscription.") :], op)
    if field in CONTACT_DATE_FIELDS:
        return _date_q(field, op, value)
    return _text_q(field, op, value)


def rules_q(rules, account_id):
    """The Q of a (validated) rule tree; an empty tree matches everyone."""
    if not rules or not rules.get("conditions"):
        return Q()
    parts = [rules_q(c, account_id) if "conditions" in c else _condition_q(c, account_id) for c in rules["conditions"]]
    q = parts[0]
    for part in parts[1:]:
        q = (q | part) if rules.get("match") == "any" else (q & part)
    return q


def segment_q(segment):
    """The Q selecting a segment's members among the account's contacts."""
    if segment.type == SegmentType.STATIC:
        return _member_of(SegmentMember.objects.filter(segment_id=segment.pk))
    q = Q()
    if segment.positive_tags:
        q &= _tags_q(segment.positive_tags, segment.positive_tags_operator)
    if segment.negative_tags:
        q &= _not_tags_q(segment.negative_tags, segment.negative_tags_operator)
    return q & rules_q(segment.rules, segment.account_id)


def segment_contacts(segment):
    """The segment's members as a lazy QuerySet of the account's contacts."""
    return Contact.objects.for_account(segment.account).filter(segment_q(segment))


def _draft(account, data):
    """An unsaved segment from a body, and its static member ids. Raises ValidationFailed."""
    # The name is irrelevant to membership: an unnamed draft in the rule builder still counts.
    fields, members = _validated(account, {**data, "name": "preview"})
    return Segment(account=account, **{k: v for k, v in fields.items() if k != "name"}), members


def preview_contacts(*, account, data):
    """Members of an unsaved segment body. Raises ValidationFailed."""
    segment, members = _draft(account, data)
    if segment.type == SegmentType.STATIC:
        return Contact.objects.for_account(account).filter(pk__in=members or [])
    return segment_contacts(segment)


def preview_count(*, account, data):
    """The rule builder's live count of an unsaved body: planned as `count_segment()` plans a saved
    segment's, nothing stored. Raises ValidationFailed."""
    segment, members = _draft(account, data)
    if segment.type == SegmentType.STATIC:
        return Contact.objects.for_account(account).filter(pk__in=members or []).count()
    return _count(segment)


def _tag_only_count(segment):
    """The member count of a segment defined by tag lists alone, read from the (tag, contact) index without
    touching the contacts table (5x faster on a million contacts); None for any other segment.

    Relies on tag links joining a contact to a tag of the same account, which every writer keeps (tags are
    looked up per account); `segment_contacts()` stays the definition and the tests compare the two.
    """
    if segment.type != SegmentType.DYNAMIC or not segment.positive_tags or (segment.rules or {}).get("conditions"):
        return None
    positive = list(dict.fromkeys(segment.positive_tags))
    every = segment.positive_tags_operator == TagOperator.ALL and len(positive) > 1
    if every:
        # (contact, tag) is unique: one link per contact with the first tag, kept when the contact has a
        # link to each other tag too (semi-joins; 2.8x faster than grouping every link of the tags and
        # keeping the contacts with all of them, see docs/benchmarks.md).
        links = ContactTag.objects.filter(tag_id=positive[0])
        for tag_id in positive[1:]:
            links = links.filter(Exists(ContactTag.objects.filter(contact_id=OuterRef("contact_id"), tag_id=tag_id)))
    else:
        links = ContactTag.objects.filter(tag_id__in=positive)
    negative = list(segment.negative_tags or [])
    if negative:
        lacks = [
            ~Q(Exists(ContactTag.objects.filter(contact_id=OuterRef("contact_id"), tag_id__in=ids)))
            for ids in ([negative] if segment.negative_tags_operator == TagOperator.ANY else [[i] for i in negative])
        ]
        excluded = lacks[0]
        for part in lacks[1:]:
            excluded |= part
        links = links.filter(excluded)
    if every:
        return links.count()
    return links.values("contact_id").distinct().count()


# --- counting -----------------------------------------------------------------------------------


def _condition_ids(cond, account_id):
    """The contact ids a positive membership condition selects, read from its own table (tag links,
    identifiers, opt-outs) without touching contacts; None for any other condition."""
    field, op, value = cond["field"], cond["op"], cond.get("value")
    if field == "tags" and (op == "any" or (op == "all" and len(value) == 1)):
        ids = ContactTag.objects.filter(tag_id__in=list(value), tag__account_id=account_id)
    elif field.startswith("identifier.") and op != "not_exists":
        ids = _identifiers(account_id, field[len("identifier.") :], op, value)
    elif field.startswith("subscription.") and op == "unsubscribed":
        ids = _opted_out(account_id, field[len("subscription.") :])
    else:
        return None
    return ids.order_by().values("contact_id")


def _any_group_ids_q(group, account_id):
    """An `any` group as `id IN (set UNION set ...)`: each membership condition contributes its ids from its
    own table and the other members (contact columns, negations, nested groups) one scan of the account's
    contacts. PostgreSQL builds and hashes the union once and joins it, where the OR of EXISTS is evaluated
    per contact (0.9 s -> 0.65 s on the benchmark's combined rule set, see docs/benchmarks.md).

    Only valid where the group is ANDed into the query: under OR or NOT PostgreSQL cannot pull the `IN` up
    into a join and would rescan the union per row once it outgrows work_mem.
    """
    sets, others = [], Q()
    for member in group["conditions"]:
        ids = None if "conditions" in member else _condition_ids(member, account_id)
        if ids is not None:
            sets.append(ids)
        else:
            # An empty nested group is an empty Q, which rules_q's OR drops; `|=` drops it the same way.
            others |= rules_q(member, account_id) if "conditions" in member else _condition_q(member, account_id)
    if others:
        sets.append(Contact.objects.filter(others, account_id=account_id).order_by().values("pk"))
    if len(sets) < 2:
        # Nothing to gain over the plain OR (a single set, or contact columns alone).
        return rules_q(group, account_id)
    return Q(pk__in=sets[0].union(*sets[1:]))


def _count_rules_q(group, account_id):
    """rules_q for a count: the same members, with every `any` group that is ANDed into the query (reached
    from the root through `all` groups only) evaluated as a set of ids."""
    if not group or not group.get("conditions"):
        return Q()
    if group.get("match") == "any":
        return _any_group_ids_q(group, account_id)
    q = Q()
    for cond in group["conditions"]:
        q &= _count_rules_q(cond, account_id) if "conditions" in cond else _condition_q(cond, account_id)
    return q


def counted_contacts(segment):
    """The query `count_segment()` counts: the members of `segment_contacts()` (the definition; tests compare
    the two on nested, negated and empty rule trees), planned for counting a million contacts."""
    if segment.type == SegmentType.STATIC:
        return segment_contacts(segment)
    q = Q()
    if segment.positive_tags:
        q &= _tags_q(segment.positive_tags, segment.positive_tags_operator)
    if segment.negative_tags:
        q &= _not_tags_q(segment.negative_tags, segment.negative_tags_operator)
    return Contact.objects.for_account(segment.account).filter(q & _count_rules_q(segment.rules, segment.account_id))


def _count(segment):
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's cost for EXISTS-heavy counts crosses the JIT threshold, and compiling costs more
        # (~0.2 s on a million contacts) than it saves on a query that runs once.
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        count = _tag_only_count(segment)
        return counted_contacts(segment).count() if count is None else count


def count_segment(segment):
    """Count the members now and keep the figure on the segment."""
    count = _count(segment)
    now = timezone.now()
    Segment.objects.filter(pk=segment.pk).update(member_count=count, counted_at=now)
    segment.member_count, segment.counted_at = count, now
    return count


def refresh_counts(*, max_age_seconds=900, limit=100):
    """Recount segments whose figure is older than `max_age_seconds` (cross-account system job: contacts
    change under dynamic segments and deleted contacts leave static ones, so list pages would otherwise
    show stale counts). Oldest first, at most `limit` per run; returns how many were recounted."""
    cutoff = timezone.now() - timedelta(seconds=max_age_seconds)
    stale = (
        Segment.objects.filter(Q(counted_at__isnull=True) | Q(counted_at__lt=cutoff))
        .select_related("account")
        .order_by(F("counted_at").asc(nulls_first=True), "id")[:limit]
    )
    done = 0
    for segment in stale:
        count_segment(segment)
        done += 1
    return done


def resolve_segments(*, account, segment_ids, field="group_id"):
    """The account's segments for the send APIs' `group_id` (string, comma list or array of ids).

    Raises ValidationFailed naming `field` for a malformed, unknown or another account's id.
    """
    raw = segment_ids
    if isinstance(raw, str | int):
        raw = [part for part in str(raw).split(",")]
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed({field: [f"The {field.replace('_', ' ')} must be a segment id or a list of them."]})
    if len(raw) > MAX_SEGMENTS:
        label = field.replace("_", " ")
        raise ValidationFailed({field: [f"The {label} may not name more than {MAX_SEGMENTS} segments."]})
    ids = []
    for value in raw:
        text = str(value).strip()
        if not text.isdigit():
            raise ValidationFailed({field: [f"The selected {field.replace('_', ' ')} is invalid."]})
        if int(text) not in ids:
            ids.append(int(text))
    found = {s.pk: s for s in Segment.objects.for_account(account).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise ValidationFailed({field: [f"The selected {field.replace('_', ' ')} is invalid."]})
    return [found[i] for i in ids]


def recipients_queryset(account, segments, channel=SubscriptionChannel.SMS):
    """Identifier values that can receive `channel` messages for the segments' members, minus opt-outs."""
    parts = [segment_q(segment) for segment in segments]
    # An empty Q (a segment without rules: everyone) would vanish from an OR, so it wins outright.
    q = Q()
    if all(parts):
        q = parts[0]
        for part in parts[1:]:
            q |= part
    members = Contact.objects.for_account(account).filter(q).values("pk")
    types = RECIPIENT_TYPES.get(channel, (IdentifierType.PHONE,))
    opted_out = Subscription.objects.filter(
        identifier=OuterRef("pk"), channel=channel, status=SubscriptionStatus.UNSUBSCRIBED
    )
    qs = (
        Identifier.objects.for_account(account)
        .filter(type__in=list(types), contact__in=members)
        .exclude(Exists(opted_out))
        .order_by()
        .values_list("value", flat=True)
    )
    # (account, type, value) is unique and the members sub-query is a semi-join, so one type already yields
    # each number once; skipping DISTINCT and ORDER BY halves the time to stream half a million numbers.
    return qs.distinct() if len(types) > 1 else qs


def segment_recipients(account, segment_ids, channel="sms"):
    """Distinct mobile numbers (E.164 digits) of the segments' members that are not unsubscribed on
    `channel`, streamed from one query. `segment_ids` as resolve_segments takes them (422 on a bad id)."""
    if isinstance(segment_ids, list | tuple) and segment_ids and all(isinstance(s, Segment) for s in segment_ids):
        segments = [s for s in segment_ids if s.account_id == account.pk]
    else:
        segments = resolve_segments(account=account, segment_ids=segment_ids)
    return recipients_queryset(account, segments, channel).iterator(chunk_size=5000)
