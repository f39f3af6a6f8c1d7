"""GSM-7 / UCS-2 detection and segmentation."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.channels.sms.encoding import GSM_BASIC, GSM_EXTENSION, Encoding, analyze, split


@pytest.mark.parametrize(("length", "units"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm_boundaries(length, units):
    result = analyze("a" * length)
    assert (result.encoding, result.length, result.units) == (Encoding.GSM, length, units)


@pytest.mark.parametrize(("length", "units"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_unicode_boundaries(length, units):
    result = analyze("अ" * length)
    assert (result.encoding, result.units) == (Encoding.UCS2, units)


def test_extension_characters_take_two_septets():
    assert analyze("€" * 80).units == 1
    assert analyze("€" * 81).units == 2
    assert analyze("a" * 159 + "€").units == 2


def test_an_escape_pair_never_straddles_a_part():
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text, Encoding.GSM)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_emoji_count_as_two_units_and_stay_whole():
    result = analyze("😀" * 35)
    assert result.encoding == Encoding.UCS2 and result.units == 1
    assert analyze("😀" * 36).units == 2
    assert all("\ud83d" not in p for p in split("x" + "😀" * 40, Encoding.UCS2))


def test_type_n_replaces_characters_outside_gsm():
    result = analyze("Price: 5€ — café ✓", "N")
    assert result.text == "Price: 5€ ? café ?" and result.replaced == 2 and result.encoding == Encoding.GSM


def test_type_u_forces_unicode_and_a_detects():
    assert analyze("hello", "U").encoding == Encoding.UCS2
    assert analyze("hello", "A").encoding == Encoding.GSM
    assert analyze("héllo ✓").encoding == Encoding.UCS2


GSM_TEXT = st.text(alphabet=sorted(GSM_BASIC | GSM_EXTENSION), max_size=700)
ANY_TEXT = st.text(max_size=400)


@settings(max_examples=200, deadline=None)
@given(GSM_TEXT)
def test_gsm_parts_rejoin_and_fit(text):
    result = analyze(text)
    parts = split(text, result.encoding)
    assert "".join(parts) == text and len(parts) == result.units
    limit = 160 if len(parts) == 1 else 153
    assert all(sum(2 if c in GSM_EXTENSION else 1 for c in p) <= limit for p in parts)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_unicode_parts_rejoin_and_fit(text):
    result = analyze(text, "U")
    parts = split(text, result.encoding)
    assert "".join(parts) == text and len(parts) == result.units
    limit = 70 if len(parts) == 1 else 67
    assert all(sum(2 if ord(c) > 0xFFFF else 1 for c in p) <= limit for p in parts)
