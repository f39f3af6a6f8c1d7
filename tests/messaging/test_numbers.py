"""Number normalisation agrees with libphonenumber's own parse + is_valid_number."""

import random

import phonenumbers
import pytest

from portal.core.phone_numbers import InvalidNumber, normalize


def reference(digits):
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, 0)[1:], phonenumbers.region_code_for_number(number) or ""


def test_the_fast_path_matches_libphonenumber_on_random_numbers():
    rng = random.Random(42)
    codes = [1, 7, 20, 33, 34, 39, 44, 49, 52, 55, 61, 65, 81, 86, 91, 234, 254, 358, 375, 380, 971, 672]
    for _ in range(4000):
        code = str(rng.choice(codes))
        digits = (code + "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 12))))[:15]
        try:
            got = normalize(digits)
        except InvalidNumber:
            got = None
        assert got == (reference(digits) if len(digits) >= 8 else None), digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+91 98765-43210", ("919876543210", "IN")),
        ("0044 7400 123456", ("447400123456", "GB")),
        ("(1) 415 555 0123", ("14155550123", "US")),
        ("+358 0 1986039", ("3581986039", "FI")),
        ("390612345678", ("390612345678", "IT")),
    ],
)
def test_normalisation(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12", "9999999999999999", "+999 123456789"])
def test_invalid_numbers(raw):
    with pytest.raises(InvalidNumber):
        normalize(raw)


def test_many_numbers_at_once_get_the_verdicts_of_one_at_a_time():
    from portal.core.phone_numbers import normalize_all

    rng = random.Random(7)
    codes = ["1", "7", "20", "33", "44", "49", "61", "86", "91", "234", "358", "971", "001", "0091", "672", "999"]
    raws = []
    for _ in range(3000):
        digits = rng.choice(codes) + "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 12)))
        raws.append(rng.choice([digits, digits, "+" + digits, f"{digits[:3]} {digits[3:]}", digits + "x", ""]))
    raws += [f"91{rng.choice('6789')}{rng.randrange(10**8, 10**9)}" for _ in range(500)] + [raws[0], raws[1]]

    def one(raw):
        try:
            return normalize(raw)
        except InvalidNumber:
            return None

    assert normalize_all(raws) == {raw: one(raw) for raw in raws}
