"""Contacts: validation, create/update/delete, and the contact object the API and the event share."""

import contextlib
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from accounts.services import audit
from contacts.events import CONTACTS_SUBSCRIBER_SUBSCRIPTION
from contacts.models import NUMBER_TYPES, Contact, Gender, Identifier, IdentifierType
from portal.api.formats import resource_time
from portal.core import events
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

EVENT = CONTACTS_SUBSCRIBER_SUBSCRIPTION
CREATED = "Subscriber created successfully"
UPDATED = "Subscriber updated successfully"
DELETED = "Subscriber deleted successfully"

# Plain text columns and their limits (the model's max_length).
TEXT_FIELDS = {
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "company": 255,
    "country": 100,
    "region": 100,
    "city": 100,
    "locality": 100,
    "postal_code": 20,
}
TYPE_SYNONYMS = {"mobile": IdentifierType.PHONE, "msisdn": IdentifierType.PHONE, "sms": IdentifierType.PHONE}
ATTRIBUTE_KEY = re.compile(r"[\w\- .]{1,64}\Z")
MAX_ATTRIBUTES = 100
# Tags a contact may carry, named in one request (each missing name creates a tag).
MAX_TAGS = 100


def _label(field):
    return field.replace("_", " ")


def canonical_type(value):
    text = str(value or "").strip().lower()
    return TYPE_SYNONYMS.get(text, text)


def normalize_identifier(type, value):
    """The stored form of an identifier value; raises ValidationFailed keyed `value`."""
    type = canonical_type(type)
    text = str(value if value is not None else "").strip()
    if type not in IdentifierType.values:
        raise ValidationFailed({"type": [f"The selected type is invalid ({', '.join(IdentifierType.values)})."]})
    if not text:
        raise ValidationFailed({"value": ["The value field is required."]})
    if type in NUMBER_TYPES:
        try:
            return normalize(text)[0]
        except InvalidNumber as exc:
            raise ValidationFailed({"value": [str(exc)]}) from None
    if type == IdentifierType.EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationFailed({"value": ["The value must be a valid email address."]}) from None
        return text.lower()
    if len(text) > 255:
        raise ValidationFailed({"value": ["The value may not be greater than 255 characters."]})
    return text


def _identity(raw, errors):
    text = str(raw if raw is not None else "").strip()
    if not text:
        errors["identity"] = ["The identity field is required."]
    elif re.search(r"\s", text):
        errors["identity"] = ["The identity may not contain spaces."]
    elif len(text) > 255:
        errors["identity"] = ["The identity may not be greater than 255 characters."]
    return text


def _address(field, type, raw, errors):
    """phone/email of the create and edit bodies, normalised like the identifiers they become."""
    if raw in (None, ""):
        return None
    try:
        return normalize_identifier(type, raw)
    except ValidationFailed as exc:
        errors[field] = [exc.message.replace("The value", f"The {field}")]
        return None


def _attributes(raw, errors):
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors["attributes"] = ["The attributes must be an object."]
        return None
    if len(raw) > MAX_ATTRIBUTES:
        errors["attributes"] = [f"The attributes may not have more than {MAX_ATTRIBUTES} keys."]
        return None
    for key, value in raw.items():
        if not ATTRIBUTE_KEY.match(str(key)):
            errors[f"attributes.{key}"] = ["Attribute names are 1-64 letters, digits, spaces, '.', '-' or '_'."]
        elif isinstance(value, dict | list):
            errors[f"attributes.{key}"] = ["Attribute values are text, numbers, booleans or null."]
    return raw


def _tags(raw, errors):
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list | tuple):
        errors["tags"] = ["The tags must be an array."]
        return None
    if len(raw) > MAX_TAGS:
        errors["tags"] = [f"The tags may not have more than {MAX_TAGS} items."]
        return None
    names = []
    for i, name in enumerate(raw):
        text = str(name if name is not None else "").strip()
        if not text or isinstance(name, dict | list):
            errors[f"tags.{i}"] = ["Each tag must be a non-empty string."]
        elif len(text) > 100:
            errors[f"tags.{i}"] = ["A tag may not be greater than 100 characters."]
        elif text not in names:
            names.append(text)
    return names


def _validated(data, *, creating):
    """The contact body as model values; only keys present in `data` are returned (edits are partial)."""
    errors, out = {}, {}
    if creating or "identity" in data:
        out["identity"] = _identity(data.get("identity"), errors)
    for field, limit in TEXT_FIELDS.items():
        if field in data:
            value = data.get(field)
            text = None if value is None else str(value).strip()
            if text and len(text) > limit:
                errors[field] = [f"The {_label(field)} may not be greater than {limit} characters."]
            out[field] = text or None
    if "gender" in data:
        gender = str(data.get("gender") or "").strip().lower() or None
        if gender and gender not in Gender.values:
            errors["gender"] = ["The selected gender is invalid (male, female)."]
        out["gender"] = gender
    if "birth_date" in data:
        raw = str(data.get("birth_date") or "").strip()
        out["birth_date"] = None
        if raw:
            with contextlib.suppress(ValueError):
                out["birth_date"] = date.fromisoformat(raw) if len(raw) == 10 else None
            if out["birth_date"] is None:
                errors["birth_date"] = ["The birth date does not match the format Y-m-d."]
    if creating and data.get("phone") in (None, ""):
        errors["phone"] = ["The phone field is required."]
    if "phone" in data:
        if not creating and data.get("phone") in (None, ""):
            errors["phone"] = ["The phone field must have a value."]
        out["phone"] = _address("phone", IdentifierType.PHONE, data.get("phone"), errors)
    if "email" in data:
        out["email"] = _address("email", IdentifierType.EMAIL, data.get("email"), errors)
    if "attributes" in data:
        out["attributes"] = _attributes(data.get("attributes"), errors)
    if "tags" in data:
        out["tags"] = _tags(data.get("tags"), errors)
    if errors:
        raise ValidationFailed(errors)
    return out


def with_relations(queryset):
    """What contact_data reads, in two extra queries for a whole page."""
    return queryset.prefetch_related(
        Prefetch("identifiers", queryset=Identifier.objects.order_by("id")),
        "tags",
    )


def _primary(contact, type):
    """The flagged identifier of `type`, else the oldest (reads the prefetched list)."""
    of_type = [i for i in contact.identifiers.all() if i.type == type]
    return next((i for i in of_type if i.is_primary), of_type[0] if of_type else None)


def contact_data(contact):
    """The contact object of the v2 API and of the `contacts:subscriber:subscription` event."""
    phone, email = _primary(contact, IdentifierType.PHONE), _primary(contact, IdentifierType.EMAIL)
    return {
        "id": contact.pk,
        "identity": contact.identity,
        "first_name": contact.first_name,
        "middle_name": contact.middle_name,
        "last_name": contact.last_name,
        "gender": contact.gender,
        "birth_date": contact.birth_date.isoformat() if contact.birth_date else None,
        "company": contact.company,
        "email": email.value if email else None,
        "phone": phone.value if phone else None,
        "postal_code": contact.postal_code,
        "country": contact.country,
        "region": contact.region,
        "city": contact.city,
        "locality": contact.locality,
        "attributes": contact.attributes or {},
        "tags": sorted(tag.name for tag in contact.tags.all()),
        "created_at": resource_time(contact.created_at),
        "updated_at": resource_time(contact.updated_at),
    }


def event_payload(contact, status):
    """Flat contact object + `status`, as the webhooks catalog shows the event."""
    return {**contact_data(contact), "status": status}


def _refetch(contact):
    return with_relations(Contact.objects.filter(pk=contact.pk)).get()


def _taken(account, type, value, exclude_contact=None):
    qs = Identifier.objects.for_account(account).filter(type=type, value=value)
    if exclude_contact is not None:
        qs = qs.exclude(contact=exclude_contact)
    return qs.exists()


def _check_unique(account, fields, contact=None):
    errors = {}
    identity = fields.get("identity")
    if identity is not None:
        qs = Contact.objects.for_account(account).filter(identity=identity)
        if contact is not None:
            qs = qs.exclude(pk=contact.pk)
        if qs.exists():
            errors["identity"] = ["The identity has already been taken."]
    for field, type in (("phone", IdentifierType.PHONE), ("email", IdentifierType.EMAIL)):
        if fields.get(field) and _taken(account, type, fields[field], contact):
            errors[field] = [f"The {field} has already been taken."]
    if errors:
        raise ValidationFailed(errors)


def _set_primary(contact, type, value):
    """Point the contact's first identifier of `type` at `value` (creating or removing it)."""
    current = contact.identifiers.filter(type=type).order_by("-is_primary", "id").first()
    if value is None:
        if current is not None:
            current.delete()
        return
    if current is None:
        Identifier.objects.create(account=contact.account, contact=contact, type=type, value=value, is_primary=True)
    elif current.value != value or not current.is_primary:
        current.value, current.is_primary = value, True
        current.save(update_fields=["value", "is_primary", "updated_at"])


def create_contact(*, account, data, actor=None, request=None):
    """Create a contact with its phone (and e-mail) identifiers and tags; emits the subscriber event.

    Raises ValidationFailed: bad fields, an identity or phone/e-mail another contact of the account has.
    """
    from contacts.services.tags import set_contact_tags

    fields = _validated(data, creating=True)
    _check_unique(account, fields)
    phone, email, tags = fields.pop("phone", None), fields.pop("email", None), fields.pop("tags", None)
    fields["attributes"] = {k: v for k, v in (fields.get("attributes") or {}).items() if v is not None}
    try:
        with transaction.atomic():
            contact = Contact.objects.create(account=account, **fields)
            _set_primary(contact, IdentifierType.PHONE, phone)
            if email:
                _set_primary(contact, IdentifierType.EMAIL, email)
            if tags:
                set_contact_tags(contact=contact, names=tags)
            contact = _refetch(contact)
            events.emit(account=account, type=EVENT, payload=event_payload(contact, CREATED))
            audit.record("contact.created", account=account, actor=actor, request=request, target=contact.identity)
    except IntegrityError:
        # A concurrent create took the identity or a number between the check and the insert: name it.
        _check_unique(account, {"identity": fields["identity"], "phone": phone, "email": email})
        raise ValidationFailed({"identity": ["The identity has already been taken."]}) from None
    return contact


def update_contact(*, contact, data, actor=None, request=None):
    """Change the fields present in `data`. `attributes` merges key by key (null removes a key);
    `tags` replaces the contact's tags; `email: null` removes the e-mail identifier."""
    from contacts.services.tags import set_contact_tags

    fields = _validated(data, creating=False)
    account = contact.account
    _check_unique(account, fields, contact)
    try:
        with transaction.atomic():
            locked = Contact.objects.select_for_update().get(pk=contact.pk)
            if "phone" in fields:
                _set_primary(locked, IdentifierType.PHONE, fields.pop("phone"))
            if "email" in fields:
                _set_primary(locked, IdentifierType.EMAIL, fields.pop("email"))
            tags = fields.pop("tags", None)
            attributes = fields.pop("attributes", None)
            if attributes is not None:
                merged = dict(locked.attributes or {})
                for key, value in attributes.items():
                    if value is None:
                        merged.pop(key, None)
                    else:
                        merged[key] = value
                locked.attributes = merged
            for key, value in fields.items():
                setattr(locked, key, value)
            locked.save()
            if tags is not None:
                set_contact_tags(contact=locked, names=tags)
            contact = _refetch(locked)
            events.emit(account=account, type=EVENT, payload=event_payload(contact, UPDATED))
            audit.record("contact.updated", account=account, actor=actor, request=request, target=contact.identity)
    except IntegrityError:
        raise ValidationFailed({"identity": ["The identity has already been taken."]}) from None
    return contact


def delete_contact(*, contact, actor=None, request=None):
    """Delete a contact with its identifiers, tags links and subscriptions. Opt-outs it fed into the
    channel unsubscriber lists stay there: a number's refusal outlives the contact record."""
    from contacts.services.locks import take_contact

    with transaction.atomic():
        take_contact(contact)  # before the cascade collects: a concurrent identifier or tag link waits
        identity = contact.identity
        contact.delete()
        audit.record("contact.deleted", account=contact.account, actor=actor, request=request, target=identity)
