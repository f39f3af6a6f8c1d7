"""The webhook delivery worker as its own process for the WhatsApp end-to-end benchmark (beat's
delivery task in production): delivers what is due until killed."""

import time

from _setup import setup_django

setup_django()

from messaging.webhooks import worker  # noqa: E402 - after Django's setup

while True:
    if not worker.run(seconds=30)["attempts"]:
        time.sleep(0.05)
