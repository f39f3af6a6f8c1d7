"""Group commit: the writes of sends that arrive together in one process share one transaction.

A send's write (its batch, rows and rollups: `submit()`) is handed to `run()`; it may return its
last step (the debit), which runs after the first steps of every write in the group, so an
account's wallet row is locked at the end of the transaction and once. When no
other thread is committing, the caller commits at once, alone. While one is, callers queue; when
that commit ends, the first of them leads the next group: it runs every queued write in one
transaction, commits once and wakes the others. Each caller returns only after the transaction
holding its write has committed, so an answer still means durable. The account's wallet row is
locked once per group instead of once per send, and the commit's flush is shared.

If any write of a group fails, the whole group is rolled back and each of its writes is run
again alone in its own transaction by its own caller: a refused debit or a duplicate
idempotency key fails only its own send, with the same error as without grouping.

A caller already inside a transaction (a page that saves more in the same atomic block, a test)
runs its write inline: its write must commit or roll back with the rest of its work. A write that
is long by nature (a bulk send scrubbed while its rows are COPYed) is not grouped (`alone()`).
"""

import logging
import threading

from django.conf import settings
from django.db import connection, transaction

log = logging.getLogger(__name__)


class _Job:
    __slots__ = ("work", "event", "leads", "finished", "error", "alone")

    def __init__(self, work):
        self.work = work
        self.event = threading.Event()
        self.leads = self.finished = self.alone = False
        self.error = None


class GroupCommit:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending = []
        self._leading = False

    def run(self, work):
        """Run `work()` (writes, `transaction.on_commit` hooks; it may return its last step) in a
        committed transaction."""
        limit = settings.SEND_GROUP_COMMIT_MAX
        if connection.in_atomic_block or limit <= 1:
            return alone(work)
        job = _Job(work)
        with self._lock:
            self._pending.append(job)
            if not self._leading:
                self._leading = job.leads = True
        if not job.leads:
            job.event.wait()
        if not job.finished:  # this thread leads the next group (its own write is in it)
            self._commit_next(limit)
        if job.alone:
            return alone(work)
        if job.error is not None:
            raise job.error
        return None

    def _commit_next(self, limit):
        with self._lock:
            jobs, self._pending = self._pending[:limit], self._pending[limit:]
        try:
            self._commit(jobs)
        finally:
            for job in jobs:
                job.finished = True
                job.event.set()
            with self._lock:
                if self._pending:  # hand over: the oldest waiter leads the next group
                    self._pending[0].leads = True
                    self._pending[0].event.set()
                else:
                    self._leading = False

    @staticmethod
    def _commit(jobs):
        committed = []
        try:
            with transaction.atomic():
                # First of the hooks that run after the commit: once it has run, the writes are
                # durable, and a later hook's failure (queueing dispatch) must not run them again.
                transaction.on_commit(lambda: committed.append(True))
                last_steps = [job.work() for job in jobs]
                for step in last_steps:
                    if step is not None:
                        step()
        except Exception as exc:  # noqa: BLE001 - handed to the caller, or retried alone
            if committed:
                # Committed; a batch whose dispatch was not queued is picked up by the sweep.
                log.exception("a hook after a group commit failed")
            elif len(jobs) == 1:
                jobs[0].error = exc
            else:
                for job in jobs:
                    job.alone = True


def alone(work):
    """`work()` and its last step in a transaction of its own (a savepoint inside the caller's)."""
    with transaction.atomic():
        last_step = work()
        if last_step is not None:
            last_step()


_GROUP = GroupCommit()


def run(work):
    """`work()` committed, grouped with the process's concurrent sends (see the module doc)."""
    return _GROUP.run(work)
