"""Run the edge server: the machine-to-machine paths the apps register (Caddy's TLS `ask`, the
WhatsApp Cloud API webhooks), on EDGE_HOST:EDGE_PORT, until SIGTERM."""

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.core.edge import routes, server


class Command(BaseCommand):
    help = "Run the edge server (TLS ask, WhatsApp webhooks): an asyncio HTTP/1.1 server beside gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.EDGE_HOST)
        parser.add_argument("--port", type=int, default=settings.EDGE_PORT)
        parser.add_argument(
            "--path", action="append", dest="paths", help="Serve only this registered path (repeatable)."
        )

    def handle(self, *args, **opts):
        unknown = set(opts["paths"] or ()) - set(routes.registered())
        if unknown:
            self.stderr.write(f"Not registered: {', '.join(sorted(unknown))}")
            return
        server.run(opts["host"], opts["port"], paths=opts["paths"])
