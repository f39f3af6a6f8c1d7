"""PDF receipts for credit movements made by staff and resellers, read back with pypdf."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from accounts import receipts
from accounts.models import LedgerEntry, LedgerKind, User
from accounts.services import credits
from tests.factories import make_account


def text_of(content):
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text(), reader.metadata


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_user(email="ops@example.com", password="x-long-password-1", is_staff=True)
    client = Client()
    client.force_login(staff)
    return client, staff


def test_a_staff_adjustment_has_a_receipt_the_customer_downloads(user_client, account, staff_client):
    _, staff = staff_client
    credits.adjust_by_staff(account=account, amount="40", direction="add", reason="Goodwill for outage", actor=staff)
    entry = LedgerEntry.objects.get(account=account, kind=LedgerKind.ADJUSTMENT)

    ledger = user_client.get("/billing/").content.decode()
    assert f"/billing/{entry.uuid}/receipt.pdf" in ledger
    res = user_client.get(f"/billing/{entry.uuid}/receipt.pdf")
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert res["Content-Disposition"] == f'attachment; filename="receipt-{receipts.number(entry)}.pdf"'

    text, meta = text_of(res.content)
    for expected in (
        receipts.number(entry),
        f"{account.name} ({account.username})",
        "Staff adjustment",
        "+40.0000 credits",
        f"{entry.balance_after:.4f} credits",
        "Goodwill for outage",
        "ops@example.com",
    ):
        assert expected in text, expected
    assert meta.title == f"Receipt {receipts.number(entry)}"


def test_a_reseller_transfer_has_a_receipt_on_both_sides(db):
    parent, parent_owner = make_account(name="Resell Co", credits_amount="100", is_reseller=True)
    child, child_owner = make_account(parent=parent, name="Child Ltd")
    credits.transfer_to_child(parent=parent, child_username=child.username, amount="25", notes="November")
    out = LedgerEntry.objects.get(account=parent, kind=LedgerKind.TRANSFER_OUT)
    incoming = LedgerEntry.objects.get(account=child, kind=LedgerKind.TRANSFER_IN)

    parent_text, _ = text_of(receipts.render(out))
    assert "Transfer to child" in parent_text and "-25.0000 credits" in parent_text and "75.0000" in parent_text
    child_text, _ = text_of(receipts.render(incoming))
    assert "Transfer from parent" in child_text and "+25.0000 credits" in child_text
    assert "Resell Co (reseller)" in child_text

    client = Client()
    client.force_login(child_owner)
    assert client.get(f"/billing/{incoming.uuid}/receipt.pdf").status_code == 200
    assert client.get(f"/billing/{out.uuid}/receipt.pdf").status_code == 404  # the parent's row


def test_charges_have_no_receipt(user_client, account):
    credits.top_up(account=account, amount="5")
    credits.debit(account=account, amount="1", reason="SMS campaign")
    charge = LedgerEntry.objects.get(account=account, kind=LedgerKind.DEBIT)
    assert user_client.get(f"/billing/{charge.uuid}/receipt.pdf").status_code == 404
    assert f"/billing/{charge.uuid}/receipt.pdf" not in user_client.get("/billing/").content.decode()


def test_staff_download_any_customers_receipt_from_its_page(staff_client, account):
    client, staff = staff_client
    credits.adjust_by_staff(account=account, amount="3", direction="remove", reason="Correction", actor=staff)
    entry = LedgerEntry.objects.get(account=account, kind=LedgerKind.ADJUSTMENT)
    page = client.get(f"/staff/customers/{account.uuid}/").content.decode()
    url = f"/staff/customers/{account.uuid}/receipts/{entry.uuid}.pdf"
    assert url in page
    text, _ = text_of(client.get(url).content)
    assert "-3.0000 credits" in text and "Correction" in text


def test_text_outside_latin1_does_not_break_the_pdf(account):
    entry = credits.top_up(account=account, amount="1", reason="Rechargé — 充值 ✓")
    text, _ = text_of(receipts.render(entry))
    assert "Recharg" in text and entry.amount == Decimal("1")
