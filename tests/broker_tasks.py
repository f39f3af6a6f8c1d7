"""Tasks only test workers load (`celery worker --include tests.broker_tasks`): they touch files, not
the database, so the broker tests need no shared database."""

import os
import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.broker.record", acks_late=True, bind=True)
def record(self, path, seconds=0):
    """Append `<queue> <pid>` to `path`. The first run marks `path.started` and then sleeps for
    `seconds`, so a test can kill the worker while it holds the task; a redelivered copy finds the
    mark and finishes at once."""
    started = Path(f"{path}.started")
    first = not started.exists()
    started.touch()
    if first and seconds:
        time.sleep(seconds)
    queue = (self.request.delivery_info or {}).get("routing_key", "")
    with open(path, "a") as out:
        out.write(f"{queue} {os.getpid()}\n")
