"""Load demo data once: a customer (with a WhatsApp number on the simulator, templates and a
conversation), a reseller with a child, a staff user and an API key, and the two catalogued
brands on their `*.localhost` host names with a customer each."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.brands import services as brands
from accounts.brands.resolve import platform_brand
from accounts.models import Account, Role, User
from accounts.services import apikeys, credits, team
from accounts.services.customers import create_customer
from contacts.services.contacts import create_contact
from contacts.services.segments import count_segment, create_segment
from messaging import consent
from messaging.channels.whatsapp import demo as whatsapp_demo
from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry
from messaging.suppressions import services as suppressions
from voice import demo as voice_demo

DEMO_PASSWORD = "demo-portal-2026"
DEMO_EMAIL = "demo@example.com"
RESELLER_EMAIL = "reseller@example.com"
STAFF_EMAIL = "staff@example.com"
BRAND_B_EMAIL = "bics-demo@example.com"


class Command(BaseCommand):
    help = "Create demo data (idempotent) and write the demo credentials into DATA_DIR."

    def handle(self, *args, **opts):
        key_file = settings.DATA_DIR / "demo_api_key"
        brand_a, brand_b = brands.install_catalogued()
        if Account.objects.filter(username="demo").exists():
            if opts["verbosity"] > 0:
                self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                secret = self._create(brand_a)
            key_file.write_text(secret + "\n")
            key_file.chmod(0o600)
            if opts["verbosity"] > 0:
                self.stdout.write("Demo data loaded.")
        if not Account.objects.filter(username="bics-demo").exists():
            with transaction.atomic():
                self._brand_b_customer(brand_b)
        key = key_file.read_text().strip() if key_file.exists() else "(not available: demo key file missing)"
        port = os.environ.get("PORT", "8000")
        summary = "\n".join(
            [
                f"Customer login: {DEMO_EMAIL} / {DEMO_PASSWORD}",
                f"Reseller login: {RESELLER_EMAIL} / {DEMO_PASSWORD}",
                f"Staff login:    {STAFF_EMAIL} / {DEMO_PASSWORD}",
                f"Demo API key:   {key}",
                "",
                f"{platform_brand().name} (platform): http://localhost:{port}/login/  (staff, every account)",
                f"{brand_a.name} (brand A): http://{brand_a.slug}.localhost:{port}/login/"
                f"  ({DEMO_EMAIL}, {RESELLER_EMAIL})",
                f"{brand_b.name} (brand B): http://{brand_b.slug}.localhost:{port}/login/  ({BRAND_B_EMAIL})",
                *voice_demo.summary_lines(key),
            ]
        )
        (settings.DATA_DIR / "demo_credentials.txt").write_text(summary + "\n")
        if opts["verbosity"] > 0:  # `make run` passes 0: runportal prints the credentials once
            self.stdout.write(summary)

    def _rate_card(self):
        """A default rate card for the standard SMS services in a few countries."""

        countries = [
            ("IN", "India", "0.1500"),
            ("GB", "United Kingdom", "3.2000"),
            ("US", "United States", "0.9000"),
            ("DE", "Germany", "6.1000"),
            ("AE", "United Arab Emirates", "2.4000"),
            ("SG", "Singapore", "3.0000"),
        ]
        for iso, name, price in countries:
            for code in ("T", "P", "S") if iso == "IN" else ("G",):
                save_price(data={"service": code, "iso": iso, "country_name": name, "sale_price": price})

    def _registry(self, demo, owner):
        """A few sender IDs, templates and suppressions so the SMS pages have something to show."""

        india = registry.create_sender(
            account=demo,
            actor=owner,
            data={
                "name": "DEMORT",
                "service": "T",
                "country_code": "IN",
                "entity_id": "1101456789012345678",
                "entity_name": "Demo Retail India Pvt Ltd",
            },
        )
        review.approve(item=india)
        registry.create_sender(
            account=demo, actor=owner, data={"name": "DemoShop", "service": "G", "country_code": "GB"}
        )
        otp = registry.create_template(
            account=demo,
            actor=owner,
            data={
                "sender": "DEMORT",
                "name": "Login OTP",
                "type": "T",
                "template_id": "1107161521283358301",
                "body": "Your Demo Retail login code is {#var#}. It expires in 10 minutes. Do not share it.",
            },
        )
        review.approve(item=otp)
        registry.create_template(
            account=demo,
            actor=owner,
            data={
                "sender": "DEMORT",
                "name": "Order shipped",
                "type": "SE",
                "template_id": "1107161521283358302",
                "body": "Hi {{name}}, your order {{order}} has shipped and arrives by {{date}}. - Demo Retail",
            },
        )
        for number, scope in [
            ("919876543210", {}),
            ("447400123456", {"scope": "product", "value": "P"}),
            ("14155550123", {"scope": "sender", "value": "DemoShop"}),
        ]:
            consent.opt_out(account=demo, channel="sms", receiver=number, actor=owner, **scope)
        suppressions.add_blocked_template(account=demo, actor=owner, data={"template_id": "1107161521283350000"})

    def _contacts(self, demo, owner):
        """A few contacts with tags and a segment, so the audience pages and segment sends have data."""

        people = [
            ("asha", "Asha", "Rao", "919812300001", ["vip", "newsletter"], "Bengaluru"),
            ("ravi", "Ravi", "Kumar", "919812300002", ["newsletter"], "Mumbai"),
            ("mira", "Mira", "Shah", "919812300003", ["vip"], "Pune"),
            ("tom", "Tom", "Evans", "447400123999", ["newsletter"], "London"),
            ("lena", "Lena", "Fischer", "4915112345678", [], "Berlin"),
            ("omar", "Omar", "Haddad", "971501234567", ["vip"], "Dubai"),
        ]
        for identity, first, last, phone, tags, city in people:
            create_contact(
                account=demo,
                actor=owner,
                data={
                    "identity": identity,
                    "first_name": first,
                    "last_name": last,
                    "phone": phone,
                    "email": f"{identity}@example.com",
                    "city": city,
                    "tags": tags,
                    "attributes": {"plan": "gold" if "vip" in tags else "standard"},
                },
            )
        for name, tags in (("VIP customers", ["vip"]), ("Newsletter", ["newsletter"])):
            count_segment(create_segment(account=demo, actor=owner, data={"name": name, "positive_tags": tags}))

    def _brand_b_customer(self, brand_b):
        """Brand B's customer: its products are ENT, MKT and A2P, its host bics.localhost."""
        create_customer(
            email=BRAND_B_EMAIL,
            password=DEMO_PASSWORD,
            name="Demo Logistics NV",
            username="bics-demo",
            credits_amount="1000",
            brand=brand_b,
        )

    def _create(self, brand_a):
        demo, owner = create_customer(
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            name="Demo Retail Ltd",
            username="demo",
            credits_amount="2500",
            brand=brand_a,
        )
        owner.name = "Dana Demo"
        owner.save(update_fields=["name"])
        analyst = User.objects.create_user(email="analyst@example.com", password=DEMO_PASSWORD, name="Avery Analyst")
        demo.memberships.create(user=analyst, role=Role.ANALYST)
        team.invite_member(account=demo, email="new.developer@example.com", role=Role.DEVELOPER, actor=owner)
        credits.debit(account=demo, amount="12.5", reason="Campaign: November newsletter")
        _, secret = apikeys.create_api_key(account=demo, name="Demo key", actor=owner)
        self._registry(demo, owner)
        self._contacts(demo, owner)
        whatsapp_demo.seed(demo)
        voice_demo.load(demo, owner)

        reseller, _ = create_customer(
            email=RESELLER_EMAIL,
            password=DEMO_PASSWORD,
            name="Demo Reseller",
            username="demo-reseller",
            credits_amount="10000",
            is_reseller=True,
            brand=brand_a,
        )
        child, _ = create_customer(
            email="child@example.com",
            password=DEMO_PASSWORD,
            name="Reseller Client One",
            username="reseller-client-one",
            parent=reseller,
        )
        credits.transfer_to_child(parent=reseller, child_username=child.username, amount="750", notes="Welcome credit")

        User.objects.create_superuser(email=STAFF_EMAIL, password=DEMO_PASSWORD, name="Sam Staff")
        self._rate_card()
        return secret
