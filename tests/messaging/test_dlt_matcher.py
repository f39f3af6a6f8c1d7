"""The DLT template matcher: exact cases and properties."""

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from messaging.dlt.matcher import TemplateMatcher, compile_template


def matcher(*bodies):
    return TemplateMatcher([(i, b) for i, b in enumerate(bodies)])


def test_an_exact_render_matches_with_its_values():
    result = matcher("Dear {{name}}, your OTP is {{otp}}.").match("Dear Asha, your OTP is 4821.")
    assert result.matched and result.template_key == 0 and result.values == ("Asha", "4821")


def test_variables_are_limited_to_thirty_characters():
    m = matcher("Your code is {{code}} today")
    assert m.match("Your code is " + "x" * 30 + " today").matched
    result = m.match("Your code is " + "x" * 31 + " today")
    assert result.reason == "variable_too_long" and "{{code}}" in result.detail and "31" in result.detail


def test_a_variable_may_be_empty_and_hold_newlines():
    m = matcher("Ticket {{id}} booked ok")
    assert m.match("Ticket  booked ok").matched
    assert m.match("Ticket A\nB booked ok").matched


@pytest.mark.parametrize("literal", [".", "*", "(", ")", "$", "?", "+", "[", "]", "\\", "^", "|", "{", "}"])
def test_regex_characters_in_fixed_text_are_literal(literal):
    m = matcher(f"Pay Rs{literal}{{{{amt}}}} now please")
    assert m.match(f"Pay Rs{literal}500 now please").matched
    assert not m.match("Pay RsX500 now please").matched


def test_fixed_text_is_case_and_whitespace_exact():
    m = matcher("Your order {{id}} has shipped")
    assert not m.match("your order 1 has shipped").matched
    assert not m.match("Your order 1 has  shipped").matched
    assert m.match("Your order 1 has shipped").matched


def test_crlf_in_a_message_counts_as_lf():
    assert matcher("Line one {{a}}\nLine two").match("Line one x\r\nLine two").matched


def test_unicode_text_matches():
    assert matcher("नमस्ते {{name}}, आपका OTP {{otp}} है").match("नमस्ते राम, आपका OTP 1234 है").matched


def test_the_most_specific_template_wins_deterministically():
    m = matcher("Your order {{x}}", "Your order {{x}} has shipped", "Your order {{y}}")
    assert m.match("Your order 7 has shipped").template_key == 1
    assert m.match("Your order 7").template_key == 0  # equal fixed text: the first given


def test_templates_starting_and_ending_with_variables():
    m = matcher("{{name}} paid you {{amount}}", "{{a}}{{b}} is your login code")
    assert m.match("Ravi paid you Rs.50").values == ("Ravi", "Rs.50")
    assert m.match("12 34 is your login code").template_key == 1


def test_adjacent_variables_split_within_the_limit():
    m = matcher("Code {{a}}{{b}} expires soon")
    result = m.match("Code " + "1" * 45 + " expires soon")
    assert result.matched and all(len(v) <= 30 for v in result.values)
    assert m.match("Code " + "1" * 61 + " expires soon").reason == "variable_too_long"


def test_mismatch_reasons():
    m = matcher("Dear {{name}}, your OTP is {{otp}}. Do not share it.")
    result = m.match("Dear Sam, your PIN is 1. Do not share it.")
    assert result.reason == "literal_mismatch" and "from character 16" in result.detail
    assert m.match("Completely unrelated words here").reason == "no_template"


def test_an_empty_template_set_matches_nothing():
    assert TemplateMatcher([]).match("anything").reason == "no_template"


# --- properties ------------------------------------------------------------------------

WORD = st.text(alphabet=string.ascii_letters + string.digits + ".,:-!?$()*", min_size=1, max_size=8)
VALUE = st.text(alphabet=string.ascii_letters + string.digits + " .-/\n", max_size=30)


@st.composite
def template_and_values(draw):
    parts = draw(st.lists(st.lists(WORD, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=5))
    n_vars = draw(st.integers(min_value=0, max_value=len(parts)))
    lead = draw(st.booleans()) and n_vars > 0
    pieces, names = [], []
    for i, part in enumerate(parts):
        if lead and i == 0:
            names.append("v0")
            pieces.append("{{v0}} ")
        pieces.append(part)
        if i < n_vars - (1 if lead else 0):
            name = f"v{len(names)}"
            names.append(name)
            pieces.append(" {{" + name + "}} ")
    body = "".join(pieces).strip()
    values = draw(st.lists(VALUE, min_size=len(names), max_size=len(names)))
    return body, names, values


def render(body, names, values):
    for name, value in zip(names, values, strict=True):
        body = body.replace("{{" + name + "}}", value)
    return body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_and_values(), st.lists(template_and_values(), max_size=5))
def test_a_rendered_template_always_matches_a_valid_template(case, others):
    body, names, values = case
    text = render(body, names, values)
    bodies = [body] + [o[0] for o in others]
    result = TemplateMatcher(list(enumerate(bodies))).match(text)
    assert result.matched
    # Either the template itself or another one that genuinely matches the text.
    assert compile_template(bodies[result.template_key]).regex.match(text.replace("\r\n", "\n"))


PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(PHRASE, PHRASE, st.integers(min_value=31, max_value=60))
def test_a_value_over_the_limit_never_matches(before, after, length):
    body = f"{before} {{{{v}}}} {after}"
    text = f"{before} {'7' * length} {after}"
    result = TemplateMatcher([(0, body)]).match(text)
    assert not result.matched and result.reason == "variable_too_long"


@settings(max_examples=200, deadline=None)
@given(PHRASE, PHRASE, VALUE, st.data())
def test_changing_a_fixed_character_breaks_the_match(before, after, value, data):
    body = f"{before} {{{{v}}}} {after}"
    pos = data.draw(st.integers(min_value=0, max_value=len(before) - 1))
    assume(before[pos] != "#" and not before[pos].isspace())
    mutated = before[:pos] + "#" + before[pos + 1 :]
    text = f"{mutated} {value} {after}"
    assert not TemplateMatcher([(0, body)]).match(text).matched
