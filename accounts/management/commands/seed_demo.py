"""Load demo data once: a customer, a reseller with a child, a staff user and an API key."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, Role, User
from accounts.services import apikeys, credits, team
from accounts.services.customers import create_customer

DEMO_PASSWORD = "demo-portal-2026"
DEMO_EMAIL = "demo@example.com"
RESELLER_EMAIL = "reseller@example.com"
STAFF_EMAIL = "staff@example.com"


class Command(BaseCommand):
    help = "Create demo data (idempotent) and write the demo credentials into DATA_DIR."

    def handle(self, *args, **opts):
        key_file = settings.DATA_DIR / "demo_api_key"
        if Account.objects.filter(username="demo").exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with transaction.atomic():
                secret = self._create()
            key_file.write_text(secret + "\n")
            key_file.chmod(0o600)
            self.stdout.write("Demo data loaded.")
        key = key_file.read_text().strip() if key_file.exists() else "(not available: demo key file missing)"
        summary = "\n".join(
            [
                f"Customer login: {DEMO_EMAIL} / {DEMO_PASSWORD}",
                f"Reseller login: {RESELLER_EMAIL} / {DEMO_PASSWORD}",
                f"Staff login:    {STAFF_EMAIL} / {DEMO_PASSWORD}",
                f"Demo API key:   {key}",
            ]
        )
        (settings.DATA_DIR / "demo_credentials.txt").write_text(summary + "\n")
        self.stdout.write(summary)

    def _create(self):
        demo, owner = create_customer(
            email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo Retail Ltd", username="demo", credits_amount="2500"
        )
        owner.name = "Dana Demo"
        owner.save(update_fields=["name"])
        analyst = User.objects.create_user(email="analyst@example.com", password=DEMO_PASSWORD, name="Avery Analyst")
        demo.memberships.create(user=analyst, role=Role.ANALYST)
        team.invite_member(account=demo, email="new.developer@example.com", role=Role.DEVELOPER, actor=owner)
        credits.debit(account=demo, amount="12.5", reason="Campaign: November newsletter")
        _, secret = apikeys.create_api_key(account=demo, name="Demo key", actor=owner)

        reseller, _ = create_customer(
            email=RESELLER_EMAIL,
            password=DEMO_PASSWORD,
            name="Demo Reseller",
            username="demo-reseller",
            credits_amount="10000",
            is_reseller=True,
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
        return secret
