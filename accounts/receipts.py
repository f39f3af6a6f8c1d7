"""PDF receipts for the credit movements staff and resellers make.

A receipt is drawn from its ledger row, which is append-only, so the same row always gives the
same receipt and nothing is stored. Receipt number: `R-` and the first 12 hex digits of the row's
uuid. The PDF uses the core Helvetica font (no font files to ship): text outside Latin-1 is
written with `?` in its place.
"""

from django.utils import timezone
from fpdf import FPDF

from accounts.brands import current as current_brand
from accounts.brands.resolve import brand_for_account
from accounts.models import LedgerEntry, LedgerKind


def number(entry):
    return f"R-{entry.uuid.hex[:12].upper()}"


def filename(entry):
    return f"receipt-{number(entry)}.pdf"


def _latin1(value):
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _made_by(entry):
    if entry.kind in (LedgerKind.TRANSFER_IN,):
        parent = entry.account.parent
        return f"{parent.name} (reseller)" if parent else "Your reseller"
    if entry.actor is not None:
        return entry.actor.email
    return "Platform staff"


def lines(entry):
    """The receipt's facts as (label, value) pairs: what the PDF prints, in order."""
    account = entry.account
    when = timezone.localtime(entry.created_at)
    return [
        ("Receipt number", number(entry)),
        ("Date", when.strftime("%Y-%m-%d %H:%M %Z")),
        ("Account", f"{account.name} ({account.username})"),
        ("Movement", LedgerKind(entry.kind).label),
        ("Amount", f"{entry.amount:+.4f} credits"),
        ("Balance after", f"{entry.balance_after:.4f} credits"),
        ("Wallet", entry.wallet.product_code or "General"),
        ("Made by", _made_by(entry)),
        ("Reason", entry.reason or "-"),
        ("Reference", entry.reference or "-"),
    ]


def render(entry: LedgerEntry) -> bytes:
    """The receipt as PDF bytes."""
    # In the name of the brand it is served under (the host's), else the account's (accounts.brands).
    issuer = (current_brand.get() or brand_for_account(entry.account)).name
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Receipt {number(entry)}"))
    pdf.set_author(_latin1(issuer))
    pdf.set_creation_date(entry.created_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, _latin1(f"{issuer} - Credit receipt"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, "A movement of credits made for your account.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for label, value in lines(entry):
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(45, 8, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 8, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, "Credits are prepaid units of the platform; this receipt records the movement.")
    return bytes(pdf.output())
