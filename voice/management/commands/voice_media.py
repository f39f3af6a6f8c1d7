"""The SIP media worker: places queued SIP calls with real signalling and RTP audio.

    manage.py voice_media [--pool 40] [--once]

Runs outside web and Celery so a SIP or media failure never takes those down (docs/voice.md).
"""

import time

from django.core.management.base import BaseCommand

from voice.services import media


class Command(BaseCommand):
    help = "Run the voice SIP media worker."

    def add_arguments(self, parser):
        parser.add_argument("--pool", type=int, default=40, help="calls in progress at once")
        parser.add_argument("--once", action="store_true", help="run the queued calls once, then exit")
        parser.add_argument("--listen", default="", help="host:port to answer inbound calls to virtual numbers")

    def handle(self, *args, **opts):
        if opts["listen"]:
            host, _, port = opts["listen"].rpartition(":")
            server = media.inbound_server(host or "127.0.0.1", int(port)).start()
            self.stdout.write(f"answering virtual numbers on {server.host}:{server.port}")
        while True:
            ran = media.run_once(pool=opts["pool"])
            if opts["once"]:
                self.stdout.write(f"{ran} calls")
                return
            if not ran:
                time.sleep(0.5)
