"""Approve or reject a sender ID or template from the command line (operations)."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from messaging.review import services
from portal.core.errors import DomainError


class Command(BaseCommand):
    help = "review sender|template ID --approve | --reject REASON [--staff EMAIL]"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(services.KINDS))
        parser.add_argument("id", help="UUID of the sender or template")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--reject", metavar="REASON")
        parser.add_argument("--staff", metavar="EMAIL", help="staff user the decision is recorded under")

    def handle(self, *args, **opts):
        model = services.KINDS[opts["kind"]]
        try:
            item = model.objects.get(uuid=uuid.UUID(opts["id"]))
        except (ValueError, model.DoesNotExist):
            raise CommandError(f"No {opts['kind']} with id {opts['id']}.") from None
        actor = None
        if opts["staff"]:
            actor = User.objects.filter(email__iexact=opts["staff"], is_staff=True).first()
            if actor is None:
                raise CommandError(f"No staff user {opts['staff']}.")
        try:
            item = services.decide(item=item, approve=opts["approve"], actor=actor, reason=opts["reject"] or "")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{opts['kind']} {item.name} ({item.uuid}): {item.get_status_display()}")
