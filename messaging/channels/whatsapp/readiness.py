"""The brand readiness page's WhatsApp section (accounts.brands.readiness): each business number
the brand's customers use, and what stands between it and business-initiated messages."""

from django.db.models import Count, Q

from accounts.brands.readiness import Item, Section
from messaging.channels.whatsapp.models import BusinessNumber, Quality, TemplateStatus

LIMIT = 200


def _problem(number):
    """(detail, fix) of the first thing to fix on `number`, or None when it is ready."""
    if not number.is_active:
        return "switched off", "Staff switched this number off: ask support to switch it back on."
    if number.quality == Quality.RED:
        return "low quality", "Meta rates the number low and may limit it: send only to opted-in customers."
    if not number.approved:
        if number.pending:
            return "no approved template yet", "A template is waiting for Meta's review: check again later."
        return (
            "no approved template",
            "Business-initiated messages need a template Meta approved: submit one under WhatsApp → Templates.",
        )
    return None


def whatsapp_section(brand, accounts):
    section = Section("WhatsApp numbers")
    meta = Q(templates__is_conversation=False)
    numbers = (
        BusinessNumber.objects.filter(account__in=accounts)
        .select_related("account")
        .annotate(
            approved=Count("templates", filter=meta & Q(templates__status=TemplateStatus.APPROVED)),
            pending=Count("templates", filter=meta & Q(templates__status=TemplateStatus.PENDING)),
        )
        .order_by("number")[:LIMIT]
    )
    for number in numbers:
        problem = _problem(number)
        facts = f"quality {number.get_quality_display().lower()}, {number.get_tier_display()}"
        section.items.append(
            Item(
                f"+{number.number} ({number.display_name}) · {number.account.name}",
                problem is None,
                f"{facts}, {number.approved} approved template{'s' if number.approved != 1 else ''}"
                if problem is None
                else f"{problem[0]}; {facts}",
                "" if problem is None else problem[1],
            )
        )
    if not section.items:
        section.items.append(
            Item("WhatsApp numbers", False, "none yet", "Staff onboard a business number for a customer who asks.")
        )
    return section
