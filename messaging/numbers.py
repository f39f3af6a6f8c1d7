"""Phone numbers as the contract stores them: E.164 digits without `+`.

Validating each number with phonenumbers costs ~25 µs; bulk imports cache the verdict per
(leading digits, length), because numbers sharing their first 7 digits and their length belong to
the same numbering range and have the same validity in practice.
"""

import re
from functools import lru_cache

import phonenumbers

SEPARATORS = re.compile(r"[\s().\-+]")


class InvalidNumber(ValueError):
    pass


def digits_of(raw):
    """Strip separators, `+` and a leading international `00`."""
    text = SEPARATORS.sub("", str(raw or ""))
    if text.startswith("00"):
        text = text[2:]
    return text


@lru_cache(maxsize=200_000)
def _verdict(prefix, length, sample):
    try:
        parsed = phonenumbers.parse("+" + sample)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.region_code_for_number(parsed) or ""


def normalize(raw, *, exact=False):
    """(digits, iso) of a valid number; raises InvalidNumber with the reason.

    `exact` validates this very number (single API calls); otherwise the range cache is used."""
    digits = digits_of(raw)
    if not digits:
        raise InvalidNumber("The number is empty.")
    if not digits.isdigit():
        raise InvalidNumber("The number may contain only digits, spaces, +, -, ( and ).")
    if not 8 <= len(digits) <= 15:
        raise InvalidNumber("The number must be 8 to 15 digits including the country code.")
    if exact:
        iso = _verdict.__wrapped__(digits[:7], len(digits), digits)
    else:
        iso = _verdict(digits[:7], len(digits), digits)
    if iso is None:
        raise InvalidNumber("The number is not a valid phone number (include the country code).")
    return digits, iso
