"""Demo data for WhatsApp (`seed_demo`): a business number on the local simulator, approved
templates of each kind and a customer conversation with an open window, so a new user can send a
WhatsApp message with the demo API key right after `make run`."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.channels.whatsapp import message_templates, numbers, window
from messaging.channels.whatsapp.models import InboundMessage, TemplateStatus, WhatsappTemplate
from messaging.models import AccountProduct, Product
from messaging.pricing.services import save_price

NUMBER = "919019120000"
CUSTOMER = "919876543210"
PRICES = {"": "0.7000", "WMC": "0.8500", "WUC": "0.3500", "WAA": "0.3000", "WSC": "0.2000"}
TEMPLATES = [
    {"type": "template", "name": "order_update", "category": "utility", "language": "en", "is_conversation": False,
     "payload": {"header": {"type": "text", "payload": {"text": "Order {{order}}"}},
                 "body": {"type": "text", "payload": {"text": "Hi {{name}}, your order ships {{day}}."},
                          "params": ["Asha", "today"]},
                 "footer": {"type": "text", "payload": {"text": "Demo Retail"}},
                 "choices": {"type": "reply", "reply": {"quick_reply1": "Track", "quick_reply2": "Help"}}}},
    {"type": "template", "name": "weekend_sale", "category": "marketing", "language": "en", "is_conversation": False,
     "payload": {"header": {"type": "image", "payload": {"url": "https://cdn.example.com/sale.png"}},
                 "body": {"type": "text", "payload": {"text": "{{name}}, everything is 20% off this weekend."},
                          "params": ["Asha"]},
                 "choices": {"type": "actions", "actions": [
                     {"type": "url", "website_url_type": "Static", "website_button_text": "Shop now",
                      "website_url": "https://shop.example.com"}]}}},
    {"type": "template", "name": "login_code", "category": "authentication", "language": "en", "is_conversation": False,
     "payload": {"body": {"type": "text", "payload": {"text": "{{code}} is your verification code"},
                          "params": ["14567"]},
                 "choices": {"type": "otp", "otp": {"otp_type": "copy_code", "text": "Copy code"}, "code_expire": 10}}},
    {"type": "text", "name": "welcome", "category": "marketing", "language": "en", "is_conversation": True,
     "payload": {"type": "text", "payload": {"text": "Welcome to Demo Retail, {{name}}!"}}},
]  # fmt: skip


def seed(account):
    AccountProduct.objects.get_or_create(account=account, product=Product.objects.get(code="WAP"))
    for sub, price in PRICES.items():
        save_price(
            data={"service": "WAP", "iso": "IN", "country_name": "India", "sale_price": price, "sub_service": sub}
        )
    number = numbers.onboard(
        account=account,
        data={
            "number": NUMBER,
            "display_name": "Demo Retail",
            "quality": "GREEN",
            "tier": "TIER_10K",
            "api_base_url": f"http://127.0.0.1:{settings.WHATSAPP['simulator_port']}",
            "app_secret": settings.WHATSAPP["simulator_app_secret"],
        },
    )
    for data in TEMPLATES:
        template = message_templates.create(account=account, data={**data, "number": NUMBER}, submit_to_provider=False)
        # Reviewed already in the demo: the simulator may not be running while the data loads.
        WhatsappTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.APPROVED)
    now = timezone.now()
    for minutes, text in ((50, "Hi, is my order 1042 shipped?"), (45, "It was due yesterday.")):
        at = now - timedelta(minutes=minutes)
        InboundMessage.objects.create(
            account=account, number=number, customer=CUSTOMER, profile_name="Asha Rao", wamid=f"wamid.DEMO{minutes}",
            type="text", payload={"text": text}, text=text, received_at=at,
        )  # fmt: skip
        window.refresh(number, CUSTOMER, at)
    return number
