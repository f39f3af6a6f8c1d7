"""A WhatsApp-enabled account: the WAP product, prices to India by category, a business number."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.channels.whatsapp import numbers, window
from messaging.channels.whatsapp.models import TemplateStatus, WhatsappTemplate
from messaging.models import AccountProduct, Product
from messaging.pricing.services import save_price

BUSINESS = "919019120000"
CUSTOMER = "919876543210"
OTHER_CUSTOMER = "919876543211"


def meta_template_data(**overrides):
    data = {
        "type": "template",
        "name": "order_update",
        "category": "utility",
        "language": "en",
        "is_conversation": False,
        "number": BUSINESS,
        "payload": {
            "header": {"type": "text", "payload": {"text": "Order {{order}}"}},
            "body": {
                "type": "text",
                "payload": {"text": "Hi {{name}}, your order ships {{day}}."},
                "params": ["Asha", "today"],
            },
            "footer": {"type": "text", "payload": {"text": "Reply STOP to stop"}},
            "choices": {"type": "reply", "reply": {"quick_reply1": "Track", "quick_reply2": "Help"}},
        },
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _fresh_number_cache():
    # Rolled-back tests reuse ids: the webhook intake's per-process cache must not outlive one.
    from messaging.channels.whatsapp import intake

    intake.forget()
    yield
    intake.forget()


@pytest.fixture
def business_number(account):
    product = Product.objects.get(code="WAP")
    AccountProduct.objects.get_or_create(account=account, product=product)
    save_price(data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": "0.5"})
    for sub, price in (("WMC", "0.8"), ("WUC", "0.3"), ("WAA", "0.2"), ("WSC", "0.1")):
        save_price(data={"service": "WAP", "iso": "IN", "sale_price": price, "sub_service": sub})
    return numbers.onboard(
        account=account,
        data={
            "number": BUSINESS,
            "display_name": "Acme Support",
            "api_base_url": "http://127.0.0.1:9",
            "app_secret": "s3cret",
        },
    )


@pytest.fixture
def open_window(business_number):
    window.refresh(business_number, CUSTOMER, timezone.now() - timedelta(hours=1))
    return business_number


@pytest.fixture
def approved_template(account, business_number):
    from messaging.channels.whatsapp import message_templates

    template = message_templates.create(account=account, data=meta_template_data(), submit_to_provider=False)
    WhatsappTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.APPROVED)
    template.refresh_from_db()
    return template
