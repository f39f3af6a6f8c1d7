"""A dedicated delivery process for high webhook volume (beat's task covers ordinary loads).
Several may run at once, here or on other machines: claims skip each other's rows."""

import signal

from django.core.management.base import BaseCommand

from messaging.webhooks import worker


class Command(BaseCommand):
    help = "Deliver webhooks continuously until stopped (SIGTERM/SIGINT finish the current batch)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=60, help="length of one run before the next starts")

    def handle(self, *args, **options):
        stopping = []
        previous = {
            sig: signal.signal(sig, lambda *_: stopping.append(True)) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not stopping:
                counts = worker.run(
                    seconds=options["seconds"], stop_when_idle=False, should_stop=lambda: bool(stopping)
                )
                if counts["attempts"]:
                    self.stdout.write(f"{counts['attempts']} attempts, {counts['delivered']} delivered")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
