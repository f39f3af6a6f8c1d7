"""One of every object the v2 API addresses by id, for tests that walk every endpoint."""

from functools import cached_property

from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.imports import services as import_services
from contacts.services import contacts as contact_services
from contacts.services import segments as segment_services
from contacts.services import subscriptions as subscription_services
from contacts.services import tags as tag_services
from messaging import consent
from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry
from messaging.suppressions import importers
from messaging.suppressions import services as suppressions
from messaging.suppressions.models import Channel, ImportKind
from messaging.webhooks import services as webhooks


class World:
    """Built on first use: a row that needs only a tag does not pay for a template's review."""

    def __init__(self, account):
        self.account = account

    @cached_property
    def contact(self):
        return contact_services.create_contact(
            account=self.account,
            data={"identity": "c-1", "phone": "447400123456", "first_name": "Ann", "tags": ["vip"]},
        )

    @cached_property
    def identifier(self):
        return self.contact.identifiers.get(type="phone")

    @cached_property
    def subscription(self):
        items = [{"channel": "sms", "identifier_id": self.identifier.pk}]
        return subscription_services.create_subscriptions(contact=self.contact, items=items)[0]

    @cached_property
    def tag(self):
        return tag_services.create_tag(account=self.account, data={"name": "gold"})

    @cached_property
    def segment(self):
        self.contact  # its tag "vip"
        return segment_services.create_segment(account=self.account, data={"name": "VIPs", "positive_tags": ["vip"]})

    @cached_property
    def contact_import(self):
        upload = SimpleUploadedFile("c.csv", b"phone,first_name\n447400123457,Bo\n")
        return import_services.create_import(account=self.account, upload=upload)

    @cached_property
    def sender(self):
        save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
        sender = registry.create_sender(
            account=self.account, data={"name": "AcmeUK", "service": "G", "country_code": "GB"}
        )
        review.approve(item=sender)
        return sender

    @cached_property
    def template(self):
        self.sender
        template = registry.create_template(
            account=self.account,
            data={
                "sender": "AcmeUK",
                "name": "Welcome",
                "type": "T",
                "template_id": "1107161521283350001",
                "body": "Hi {#var#}, welcome.",
            },
        )
        review.approve(item=template)
        return template

    @cached_property
    def unsubscriber(self):
        return consent.opt_out(account=self.account, channel=Channel.SMS, receiver="447400123499")

    @cached_property
    def voice_unsubscriber(self):
        return consent.opt_out(account=self.account, channel=Channel.VOICE, receiver="919800000099")

    @cached_property
    def blocked(self):
        return suppressions.add_blocked_template(account=self.account, data={"template_id": "1207161234567890123"})

    @cached_property
    def suppression_import(self):
        return importers.create_job(
            account=self.account, kind=ImportKind.BLOCKED_TEMPLATES, content=b"1207\n", filename="b.csv"
        )

    @cached_property
    def webhook(self):
        return webhooks.create_webhook(
            account=self.account, data={"name": "Hook", "uri": "https://hooks.example.com/in"}
        )

    @cached_property
    def webhook_subscription(self):
        data = {"event": "sms:message:status", "identity": "all", "webhook_id": str(self.webhook.uuid)}
        return webhooks.create_subscription(account=self.account, data=data)

    @cached_property
    def whatsapp_number(self):
        from messaging.channels.whatsapp import numbers
        from messaging.models import AccountProduct, Product

        AccountProduct.objects.get_or_create(account=self.account, product=Product.objects.get(code="WAP"))
        save_price(data={"service": "WAP", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
        data = {"number": "447400555000", "display_name": "Acme", "api_base_url": "http://127.0.0.1:9"}
        return numbers.onboard(account=self.account, data=data)

    @cached_property
    def whatsapp_template(self):
        from messaging.channels.whatsapp import message_templates

        self.whatsapp_number
        data = {"type": "text", "name": "welcome", "category": "utility", "language": "en", "is_conversation": True,
                "number": "447400555000", "payload": {"type": "text", "payload": {"text": "Hi {{name}}"}}}  # fmt: skip
        return message_templates.create(account=self.account, data=data)

    @cached_property
    def whatsapp_media(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from messaging.channels.whatsapp import media

        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        return media.upload(account=self.account, kind="image", file=SimpleUploadedFile("a.png", png, "image/png"))

    @cached_property
    def whatsapp_unsubscriber(self):
        return consent.opt_out(account=self.account, channel=Channel.WHATSAPP, receiver="447400123498")

    @cached_property
    def whatsapp_optout(self):
        return consent.opt_out(account=self.account, channel=Channel.WHATSAPP, receiver="447400123497")

    def arg(self, name):
        """The URL value of one object, by placeholder name (see ROUTE_ARGS)."""
        obj = getattr(self, "contact_import" if name == "import" else name)
        if name == "whatsapp_optout":  # addressed by its number
            return obj.receiver
        return obj.uuid if name in BY_UUID else obj.pk

    def path_args(self):
        names = {name for args in ROUTE_ARGS.values() for name in args.values()}
        return {name: self.arg(name) for name in names}


BY_UUID = {
    "sender",
    "template",
    "unsubscriber",
    "voice_unsubscriber",
    "blocked",
    "webhook",
    "whatsapp_template",
    "whatsapp_unsubscriber",
    "whatsapp_media",
    "suppression_import",
}  # the others are addressed by pk
# The URL kwargs of each id route, from the World's objects.
ROUTE_ARGS = {
    "contact": {"pk": "contact"},
    "contact-identifiers": {"pk": "contact"},
    "contact-identifier": {"pk": "contact", "iid": "identifier"},
    "contact-subscriptions": {"pk": "contact"},
    "contact-subscription": {"pk": "contact", "sid": "subscription"},
    "contact-unsubscribe": {"pk": "contact"},
    "contact-unsubscribe-one": {"pk": "contact", "sid": "subscription"},
    "contact-resubscribe": {"pk": "contact"},
    "contact-resubscribe-one": {"pk": "contact", "sid": "subscription"},
    "contacts-tag": {"pk": "tag"},
    "contacts-segment": {"pk": "segment"},
    "contacts-segment-members": {"pk": "segment"},
    "contacts-import": {"pk": "import"},
    "sms-sender": {"pk": "sender"},
    "sms-template": {"pk": "template"},
    "sms-unsubscriber": {"pk": "unsubscriber"},
    "voice-unsubscriber": {"pk": "voice_unsubscriber"},
    "sms-blocked-template": {"pk": "blocked"},
    "sms-suppression-import": {"pk": "suppression_import"},
    "developer-webhook": {"pk": "webhook"},
    "developer-webhook-test": {"pk": "webhook"},
    "developer-subscription": {"pk": "webhook_subscription"},
    "whatsapp-template": {"pk": "whatsapp_template"},
    "whatsapp-unsubscriber": {"pk": "whatsapp_unsubscriber"},
    "whatsapp-media": {"pk": "whatsapp_media"},
    "whatsapp-optout-number": {"number": "whatsapp_optout"},
}


def build_world(account):
    """Every object, built now."""
    world = World(account)
    world.path_args()
    world.template
    return world
