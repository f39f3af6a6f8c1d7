"""The brand readiness page's senders section (accounts.brands.readiness): each sender ID the
brand's customers use, and whether it is approved."""

from accounts.brands.readiness import Item, Section
from messaging.senders.models import ReviewStatus, Sender

LIMIT = 200


def senders_section(brand, accounts):
    section = Section("Sender IDs")
    senders = Sender.objects.filter(account__in=accounts).select_related("account", "product").order_by("name")[:LIMIT]
    for sender in senders:
        approved = sender.status == ReviewStatus.APPROVED
        section.items.append(
            Item(
                f"{sender.name} ({sender.product.code}, {sender.iso}) · {sender.account.name}",
                approved,
                sender.get_status_display(),
                "" if approved else "Waiting for review, or refused: see the sender's page.",
            )
        )
    if not section.items:
        section.items.append(
            Item("Sender IDs", False, "none yet", "Customers register sender IDs under SMS → Sender IDs.")
        )
    return section
