"""The WhatsApp intake applier as its own process for the e2e benchmark (a worker's
`whatsapp.apply_intake` task in production): drains the buffer until killed."""

import time

from _setup import setup_django

setup_django()

from messaging.channels.whatsapp import webhook_buffer  # noqa: E402 - after Django's setup

while True:
    if not webhook_buffer.drain(seconds=60):
        time.sleep(0.05)
