"""Which column feeds which contact field, and turning one file row into a validated record."""

import datetime
import re
from dataclasses import dataclass, field

from contacts.models import Contact, IdentifierType
from portal.core import text
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

IGNORE = ""
ATTRIBUTE_PREFIX = "attr:"

# Contact columns an import can fill (besides identifiers, tags and attributes).
PROFILE_FIELDS = [
    ("first_name", "First name"),
    ("middle_name", "Middle name"),
    ("last_name", "Last name"),
    ("gender", "Gender"),
    ("birth_date", "Birth date"),
    ("company", "Company"),
    ("country", "Country"),
    ("region", "Region"),
    ("city", "City"),
    ("locality", "Locality"),
    ("postal_code", "Postal code"),
]
PROFILE_NAMES = [name for name, _ in PROFILE_FIELDS]
IDENTIFIER_FIELDS = [(t.value, t.label) for t in IdentifierType]
IDENTIFIER_NAMES = [name for name, _ in IDENTIFIER_FIELDS]
# A row matches an existing contact by its identity first, then by these identifiers in order.
MATCH_ORDER = ["phone", "email", "whatsapp", "rcs", "viber", "custom"]

FIELD_CHOICES = [
    (IGNORE, "Do not import"),
    ("identity", "Identity (unique id)"),
    *IDENTIFIER_FIELDS,
    *PROFILE_FIELDS,
    ("tags", "Tags (comma separated)"),
]
KNOWN = {name for name, _ in FIELD_CHOICES}

ALIASES = {
    "identity": "identity",
    "id": "identity",
    "externalid": "identity",
    "customerid": "identity",
    "phone": "phone",
    "mobile": "phone",
    "mobilenumber": "phone",
    "phonenumber": "phone",
    "msisdn": "phone",
    "number": "phone",
    "cell": "phone",
    "receiver": "phone",
    "email": "email",
    "mail": "email",
    "emailaddress": "email",
    "whatsapp": "whatsapp",
    "whatsappnumber": "whatsapp",
    "rcs": "rcs",
    "viber": "viber",
    "custom": "custom",
    "customid": "custom",
    "firstname": "first_name",
    "first": "first_name",
    "givenname": "first_name",
    "name": "first_name",
    "middlename": "middle_name",
    "lastname": "last_name",
    "last": "last_name",
    "surname": "last_name",
    "familyname": "last_name",
    "gender": "gender",
    "sex": "gender",
    "birthdate": "birth_date",
    "dateofbirth": "birth_date",
    "dob": "birth_date",
    "birthday": "birth_date",
    "company": "company",
    "organisation": "company",
    "organization": "company",
    "country": "country",
    "region": "region",
    "state": "region",
    "city": "city",
    "town": "city",
    "locality": "locality",
    "postalcode": "postal_code",
    "postcode": "postal_code",
    "zip": "postal_code",
    "zipcode": "postal_code",
    "pincode": "postal_code",
    "tags": "tags",
    "tag": "tags",
    "labels": "tags",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ATTRIBUTE_KEY = re.compile(r"[^a-z0-9_]+")
TAG_SPLIT = re.compile(r"[,;|]")
MAX_LENGTH = {f.name: f.max_length for f in Contact._meta.get_fields() if getattr(f, "max_length", None)}
MAX_IDENTIFIER = 255
MAX_TAG = 100
MAX_ATTRIBUTE = 1000


def attribute_key(header):
    return ATTRIBUTE_KEY.sub("_", (header or "").strip().lower()).strip("_")[:64]


def guess_field(header):
    """The field a column most likely holds, from its header; unknown headers become attributes."""
    squashed = re.sub(r"[^a-z0-9]", "", (header or "").lower())
    if squashed in ALIASES:
        return ALIASES[squashed]
    key = attribute_key(header)
    return f"{ATTRIBUTE_PREFIX}{key}" if key else IGNORE


def guess_mapping(headers):
    mapping, taken = [], set()
    for header in headers:
        guess = guess_field(header)
        if guess in taken and not guess.startswith(ATTRIBUTE_PREFIX):
            guess = IGNORE  # a second "phone" column is not silently merged into the first
        taken.add(guess)
        mapping.append(guess)
    return mapping


def looks_like_data(row):
    """A first row holding a phone number or an e-mail address is data, not a header."""
    for cell in row:
        text = (cell or "").strip()
        if EMAIL.match(text):
            return True
        digits = re.sub(r"[\s()+\-.]", "", text)
        if len(digits) >= 8 and digits.isdigit():
            return True
    return False


def validate_mapping(mapping, width):
    """The list of fields (one per column) a customer chose; ValidationFailed when unusable."""
    if not isinstance(mapping, list) or len(mapping) > width:
        raise ValidationFailed({"mapping": ["The mapping must give one field per column."]})
    clean, seen = [], set()
    for value in mapping:
        value = (value or "").strip()
        if value.startswith(ATTRIBUTE_PREFIX):
            key = attribute_key(value[len(ATTRIBUTE_PREFIX) :])
            if not key:
                raise ValidationFailed({"mapping": ["An attribute column needs a name."]})
            value = f"{ATTRIBUTE_PREFIX}{key}"
        elif value not in KNOWN:
            raise ValidationFailed({"mapping": [f"Unknown field “{value}”."]})
        if value and value in seen:
            raise ValidationFailed({"mapping": [f"Two columns are mapped to {value}."]})
        seen.add(value)
        clean.append(value)
    if not seen & {"identity", *IDENTIFIER_NAMES}:
        raise ValidationFailed(
            {"mapping": ["Map at least one column to the identity, the mobile number or another identifier."]}
        )
    return clean + [IGNORE] * (width - len(clean))


class RowInvalid(ValueError):
    pass


@dataclass(slots=True)
class Record:
    row: int
    identity: str
    identifiers: dict  # type -> canonical value
    profile: dict  # field -> value (only fields the row fills)
    attributes: dict
    tags: list = field(default_factory=list)


def _number(value, label):
    try:
        return normalize(value)[0]
    except InvalidNumber as exc:
        raise RowInvalid(f"{label} “{value}”: {exc}") from None


def _birth_date(value):
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(value[:10], fmt).date()
        except ValueError:
            continue
    raise RowInvalid(f"Birth date “{value}” is not a date (use yyyy-mm-dd).")


GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female"}


NUMBER_LABELS = {t: label for t, label in IDENTIFIER_FIELDS if t in ("phone", "whatsapp", "rcs", "viber")}
(_IDENTITY, _NUMBER, _EMAIL, _CUSTOM, _TAGS, _GENDER, _BIRTH, _ATTRIBUTE, _TEXT) = range(9)


def _plan(mapping):
    """(column, kind, target, extra) for each mapped column: the per-column decisions taken once
    per job instead of once per cell."""
    plan = []
    for index, target in enumerate(mapping):
        if not target:
            continue
        if target == "identity":
            plan.append((index, _IDENTITY, target, MAX_LENGTH["identity"]))
        elif target in NUMBER_LABELS:
            plan.append((index, _NUMBER, target, NUMBER_LABELS[target]))
        elif target == "email":
            plan.append((index, _EMAIL, target, None))
        elif target == "custom":
            plan.append((index, _CUSTOM, target, None))
        elif target == "tags":
            plan.append((index, _TAGS, target, None))
        elif target == "gender":
            plan.append((index, _GENDER, target, None))
        elif target == "birth_date":
            plan.append((index, _BIRTH, target, None))
        elif target.startswith(ATTRIBUTE_PREFIX):
            plan.append((index, _ATTRIBUTE, target[len(ATTRIBUTE_PREFIX) :], None))
        else:
            label = target.replace("_", " ").capitalize()
            plan.append((index, _TEXT, target, (MAX_LENGTH.get(target), label)))
    return plan


_plans = {}


def parse_row(number, cells, mapping):
    """A validated Record from one row, or RowInvalid with the reason the report shows."""
    key = tuple(mapping)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _plan(mapping)
    identifiers, profile, attributes, tags = {}, {}, {}, ()
    identity = ""
    width = len(cells)
    for index, kind, target, extra in plan:
        if index >= width:
            continue
        value = cells[index]
        if not value:
            continue
        value = value.strip()
        if not value:
            continue
        if "\ufffd" in value:
            raise RowInvalid("The row is not valid UTF-8 text.")
        if "\x00" in value:  # CSV files with NUL are refused whole; .xls cells can still hold one
            raise RowInvalid(f"The row may not contain {text.NUL}.")
        if kind == _NUMBER:
            identifiers[target] = _number(value, extra)
        elif kind == _TEXT:
            limit, label = extra
            if limit and len(value) > limit:
                raise RowInvalid(f"{label} is longer than {limit} characters.")
            profile[target] = value
        elif kind == _EMAIL:
            if len(value) > MAX_IDENTIFIER or not EMAIL.match(value):
                raise RowInvalid(f"E-mail “{value}” is not a valid address.")
            identifiers["email"] = value.lower()
        elif kind == _ATTRIBUTE:
            attributes[target] = value[:MAX_ATTRIBUTE]
        elif kind == _TAGS:
            tags = [t.strip()[:MAX_TAG] for t in TAG_SPLIT.split(value) if t.strip()]
        elif kind == _IDENTITY:
            if any(ch.isspace() for ch in value):
                raise RowInvalid(f"Identity “{value}” may not contain spaces.")
            if len(value) > extra:
                raise RowInvalid("Identity is longer than 255 characters.")
            identity = value
        elif kind == _CUSTOM:
            identifiers["custom"] = value[:MAX_IDENTIFIER]
        elif kind == _GENDER:
            gender = GENDERS.get(value.lower())
            if gender is None:
                raise RowInvalid(f"Gender “{value}” must be male or female.")
            profile["gender"] = gender
        else:
            profile["birth_date"] = _birth_date(value)
    if not identity:
        identity = next((identifiers[t] for t in MATCH_ORDER if t in identifiers), "")
    if not identity:
        raise RowInvalid("The row has no identity, mobile number, e-mail or other identifier.")
    return Record(number, identity, identifiers, profile, attributes, list(dict.fromkeys(tags)) if tags else [])
