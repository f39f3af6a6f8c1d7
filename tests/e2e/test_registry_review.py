"""A customer registers a sender ID and a template, staff approve them, the customer sees them approved."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import PASSWORD, make_account

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, site, email, password=PASSWORD):
    page.context.clear_cookies()
    page.goto(f"{site}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def approve_first_pending(page, site, name):
    page.goto(f"{site}/staff/review/")
    row = page.locator("tr", has_text=name)
    row.get_by_role("link", name="Review").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"{name} approved.")).to_be_visible()


def test_register_review_and_see_approved(page, site):
    _, owner = make_account(name="Registry Co")
    User.objects.create_user(email="desk@example.com", password=PASSWORD, is_staff=True)

    log_in(page, site, owner.email)
    page.get_by_role("link", name="Sender IDs").click()
    expect(page.get_by_text("No sender IDs yet")).to_be_visible()
    page.get_by_role("link", name="Register sender ID").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Sender ID").fill("ACMEIN")
    dialog.get_by_label("Service").select_option("T")
    dialog.get_by_label("Country (ISO code)").fill("IN")
    dialog.get_by_role("button", name="Submit for approval").click()
    expect(dialog.get_by_text("The entity id field is required for Indian DLT senders.")).to_be_visible()
    dialog.get_by_label("DLT entity ID").fill("1101234567890")
    dialog.get_by_label("Entity (company) name").fill("Acme India")
    dialog.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#sender-table")).to_contain_text("Pending")

    log_in(page, site, "desk@example.com")
    approve_first_pending(page, site, "ACMEIN")

    log_in(page, site, owner.email)
    page.goto(f"{site}/sms/senders/")
    expect(page.locator("#sender-table")).to_contain_text("Approved")
    page.get_by_role("link", name="DLT templates").click()
    page.get_by_role("link", name="Add template").click()
    dialog = page.locator("#modal")
    dialog.get_by_label("Name").fill("Login OTP")
    dialog.get_by_label("Type").select_option("T")
    dialog.get_by_label("DLT template ID").fill("1107161521283358301")
    dialog.get_by_label("Body").fill("Your login code is {#var#}. Do not share it.")
    dialog.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#template-table")).to_contain_text("Your login code is {{var1}}. Do not share it.")
    expect(page.locator("#template-table")).to_contain_text("Pending")

    log_in(page, site, "desk@example.com")
    approve_first_pending(page, site, "Login OTP")

    log_in(page, site, owner.email)
    page.goto(f"{site}/sms/templates/")
    expect(page.locator("#template-table")).to_contain_text("Approved")
    expect(page.locator("#unread-count")).to_have_text("2")
