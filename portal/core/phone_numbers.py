"""Phone numbers as the contract stores them: E.164 digits without `+`.

Numbers are validated against libphonenumber's metadata directly (~3.5 µs each instead of ~20 µs
through `parse`), with the same verdict: a number the fast path rejects is checked again by `parse`.
"""

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata
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


# Mobile and fixed line first: most traffic is one of them, and the verdict is "any type matches",
# so the order changes only how soon it is found.
_DESCS = (
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@lru_cache(maxsize=4096)
def _pattern(pattern):
    return re.compile(pattern)


def _check(desc):
    """(allowed lengths or None, compiled fullmatch) of one number-type description, or None."""
    if desc is None or desc.national_number_pattern is None:
        return None
    lengths = frozenset(desc.possible_length) if desc.possible_length else None
    return lengths, _pattern(desc.national_number_pattern).fullmatch


_CHECKS = {}  # id(metadata) -> checks; libphonenumber keeps one metadata object per region for good


def _checks(metadata):
    """The general description's check and the type checks of one region, compiled once."""
    found = _CHECKS.get(id(metadata))
    if found is None:
        types = tuple(c for c in (_check(getattr(metadata, name)) for name in _DESCS) if c is not None)
        found = _CHECKS[id(metadata)] = (_check(metadata.general_desc), types)
    return found


def _passes(national, check):
    lengths, fullmatch = check
    return (lengths is None or len(national) in lengths) and fullmatch(national) is not None


def _has_type(national, metadata):
    """libphonenumber's `_number_type_helper(...) != UNKNOWN`, without the per-call overhead."""
    general, types = _checks(metadata)
    if general is None or not _passes(national, general):
        return False
    return any(_passes(national, check) for check in types)


def _region_for(national, regions):
    """`region_code_for_number` for a country code shared by several regions."""
    for candidate in regions:
        metadata = PhoneMetadata.metadata_for_region(candidate, None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if _pattern(metadata.leading_digits).match(national):
                return candidate
        elif _has_type(national, metadata):
            return candidate
    return None


def _verdict_for(code, national, regions):
    region = regions[0] if len(regions) == 1 else _region_for(national, regions)
    if region is None:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
    if metadata is None or not _has_type(national, metadata):
        return None
    return f"{code}{national}", "" if region == "001" else region


def _exact(digits):
    """libphonenumber's verdict on E.164 digits ((digits, region), or None when invalid), computed
    from its metadata the way `region_code_for_number` + `is_valid_number` do, ~5x faster than
    `parse`. A trunk prefix kept after the country code (+358 0...) is dropped, as `parse` does."""
    for size in (1, 2, 3):
        code = int(digits[:size])
        regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions is None:
            continue
        national = digits[size:]
        return _verdict_for(code, national, regions) or _by_parsing(digits)
    return None


def _by_parsing(digits):
    """The slow, complete path (trunk prefixes and other rewrites `parse` applies); only numbers
    the fast path finds invalid come here, which real traffic rarely has."""
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    return canonical, phonenumbers.region_code_for_number(number) or ""


def normalize(raw):
    """(digits, iso) of a valid number; raises InvalidNumber with the reason."""
    digits = digits_of(raw)
    if not digits:
        raise InvalidNumber("The number is empty.")
    if not digits.isdigit():
        raise InvalidNumber("The number may contain only digits, spaces, +, -, ( and ).")
    if not 8 <= len(digits) <= 15:
        raise InvalidNumber("The number must be 8 to 15 digits including the country code.")
    found = _exact(digits)
    if found is None:
        raise InvalidNumber("The number is not a valid phone number (include the country code).")
    return found


def _national_checks(code, size, length):
    """For numbers of `length` digits starting with country `code` (`size` digits) whose code has
    one region: (region, general fullmatch, type fullmatches) with the length rules applied once,
    or None when such a number can never pass the fast path (then `normalize` decides)."""
    regions = COUNTRY_CODE_TO_REGION_CODE[code]
    if len(regions) != 1:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    if metadata is None:
        return None
    general, types = _checks(metadata)
    national = length - size
    if general is None or (general[0] is not None and national not in general[0]):
        return None
    matches = tuple(fullmatch for lengths, fullmatch in types if lengths is None or national in lengths)
    if not matches:
        return None
    return ("" if regions[0] == "001" else regions[0]), general[1], matches


def normalize_all(raws):
    """{raw: (digits, iso) or None} for many numbers at once, with `normalize`'s verdicts: a bulk
    send's numbers share a few country codes and lengths, so the code, the region and the length
    rules are looked up once per (prefix, length) instead of once per number. Numbers off that path
    (separators, shared country codes, a verdict other than valid) go through `normalize`. A
    valid number's digits come back as given: they are its E.164 form."""
    plans = {}  # (first three digits, length) -> (size, region, check) or None
    found = {}
    for raw in raws:
        if raw in found:
            continue
        verdict = False  # not decided here
        # E.164 digits as they come (a leading 0 is a code `normalize` reads differently).
        if type(raw) is str and raw.isdigit() and raw.isascii() and 8 <= len(raw) <= 15 and raw[0] != "0":
            key = (raw[:3], len(raw))
            plan = plans.get(key, False)
            if plan is False:
                plan = plans[key] = _plan(raw)
            if plan is not None:
                size, region, valid = plan
                if valid(raw, size) is not None:
                    verdict = (raw, region)
                if verdict is False:  # where `normalize` would go next for these digits
                    verdict = _by_parsing(raw)
        if verdict is False:
            try:
                verdict = normalize(raw)
            except InvalidNumber:
                verdict = None
        found[raw] = verdict
    return found


def _plan(digits):
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            checks = _national_checks(code, size, len(digits))
            if checks is None:
                return None
            region, general, types = checks
            return size, region, _one_check(general.__self__.pattern, tuple(t.__self__.pattern for t in types))
    return None


@lru_cache(maxsize=1024)
def _one_check(general, types):
    """The general pattern and "any of the types" as one compiled fullmatch, called on the whole
    number from the national part on: one regex call per number instead of two or more."""
    return re.compile(f"(?=(?:{general})\\Z)(?:{'|'.join(f'(?:{t})' for t in types)})").fullmatch
