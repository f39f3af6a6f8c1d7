"""DLT template content rules."""

import pytest

from messaging.dlt.rules import normalize_body, validate_body, variables


def test_a_good_template_has_no_problems():
    assert validate_body("Dear {{name}}, your OTP is {{otp}}.", template_type="T") == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "required"),
        ("Hi {{1st}} there friend", "must start with a letter"),
        ("Hi {{first-name}} there friend", "must start with a letter"),
        ("Hi {{a}} and {{a}} again", "must be distinct"),
        ("Hi {{a} there friend", "unbalanced"),
        ("Hi there }} friend", "unbalanced"),
        ("Hello  there {{a}}", "two consecutive spaces"),
        ("Hello <b>there</b> {{a}}", "< and >"),
        ("Hi {{a}} {{b}}", "at least 6 fixed characters"),
        ("Your order has shipped", "must contain at least one variable"),
        ("x" * 2001, "longer than 2000"),
    ],
)
def test_each_rule_reports_a_clear_problem(body, problem):
    problems = validate_body(body, template_type="T")
    assert any(problem in p for p in problems), problems


def test_promotional_templates_may_have_no_variables():
    assert validate_body("Big sale this weekend only", template_type="P") == []


def test_dlt_placeholders_become_named_variables():
    body = normalize_body("Dear {#var#}, pay {#var#} by {{due}} {# var #}")
    assert body == "Dear {{var1}}, pay {{var2}} by {{due}} {{var3}}"
    assert variables(body) == ["var1", "var2", "due", "var3"]
    assert normalize_body("{{var1}} and {#var#}") == "{{var1}} and {{var2}}"


def test_normalisation_tidies_spaces_inside_braces_and_crlf():
    assert normalize_body("Hi {{ name }}\r\nbye") == "Hi {{name}}\nbye"
