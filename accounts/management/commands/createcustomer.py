from django.core.management.base import BaseCommand, CommandError

from accounts.services import apikeys
from accounts.services.customers import create_customer
from accounts.services.errors import DomainError


class Command(BaseCommand):
    help = "Create a customer account with its owner; --api-key prints a new key's secret last."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--username", default=None, help="Account username (default: from the name)")
        parser.add_argument("--credits", default=None, help="Opening credit balance")
        parser.add_argument("--reseller", action="store_true", help="The account may own child accounts")
        parser.add_argument("--parent", default=None, help="Username of the reseller that owns this account")
        parser.add_argument("--api-key", action="store_true", help="Also create an API key and print its secret")

    def handle(self, *args, **opts):
        from accounts.models import Account

        parent = None
        if opts["parent"]:
            parent = Account.objects.filter(username=opts["parent"]).first()
            if parent is None:
                raise CommandError(f"No account with username {opts['parent']!r}.")
        try:
            account, user = create_customer(
                email=opts["email"],
                password=opts["password"],
                name=opts["name"],
                username=opts["username"],
                credits_amount=opts["credits"],
                parent=parent,
                is_reseller=opts["reseller"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created account {account.username} ({account.uuid}) owned by {user.email}")
        if opts["api_key"]:
            _, secret = apikeys.create_api_key(account=account, name="Default key", actor=user)
            self.stdout.write(secret)
