from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from accounts.models import Account, User
from accounts.services import apikeys
from accounts.services.customers import create_customer
from portal.core.errors import DomainError


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
        email = opts["email"].strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"Not a valid e-mail address: {email!r}.") from None
        username = opts["username"]
        if username is not None:
            try:
                validate_slug(username)
            except ValidationError:
                raise CommandError("The username may contain only letters, numbers, hyphens and underscores.") from None
            if Account.objects.filter(username=username).exists():
                raise CommandError(f"An account with username {username!r} already exists.")
        parent = None
        if opts["parent"]:
            parent = Account.objects.filter(username=opts["parent"]).first()
            if parent is None:
                raise CommandError(f"No account with username {opts['parent']!r}.")
            if not parent.is_reseller:
                raise CommandError(f"Account {parent.username!r} is not a reseller and cannot own customers.")
        existing_user = User.objects.filter(email__iexact=email).exists()
        # One transaction: a failure (bad amount, key error) leaves no half-made customer behind.
        try:
            with transaction.atomic():
                account, user = create_customer(
                    email=email,
                    password=opts["password"],
                    name=opts["name"],
                    username=username,
                    credits_amount=opts["credits"],
                    parent=parent,
                    is_reseller=opts["reseller"],
                )
                secret = None
                if opts["api_key"]:
                    _, secret = apikeys.create_api_key(account=account, name="Default key", actor=user)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created account {account.username} ({account.uuid}) owned by {user.email}")
        if existing_user:
            self.stdout.write(f"{user.email} already had a login: it now also owns this account; password unchanged.")
        if secret:
            # Last line on its own, so scripts can take it with `tail -n 1`.
            self.stdout.write(secret)
