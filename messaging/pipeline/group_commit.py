"""Group commit: the sends that arrive together in one process are handled together.

A caller hands its send (a `Member`) to `GroupCommit.run()`. When no other thread is handling a
group, the caller's send is handled at once, as a group of one. While one is, callers queue; when
that group is done, the first of them leads the next: it hands every queued send, in arrival
order, to the handler (`messaging.pipeline.submit.accept`), which shares the group's reads, its
transaction, its debits and its dispatch, and answers each member (`result` or `error`). Each
caller returns only once its own send has been answered, so an answer still means durable.

The handler may instead mark a member `alone` (its group's transaction was rolled back, or it
must follow another member of the group): that member is then handled again, as a group of one,
by its own caller's thread after the group is done, so its answer is exactly the one it would
have had without grouping.

A caller already inside a transaction (a page that saves more in the same atomic block, a test)
is handled inline as a group of one: its writes must commit or roll back with the rest of its work.
A send that is long by nature (a bulk send scrubbed while its rows are COPYed,
`submit.submit`) never comes here: it commits alone, so no group waits behind it.
"""

import logging
import threading

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)


class Member:
    """What the handler answers: `result`, or `error` (raised to the caller), or `alone`."""

    result = None
    error = None
    alone = False

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


class _Job:
    __slots__ = ("member", "event", "leads", "finished")

    def __init__(self, member):
        self.member = member
        self.event = threading.Event()
        self.leads = self.finished = False


class GroupCommit:
    def __init__(self, handler):
        self.handler = handler  # handler(members): answers each, or marks it `alone`
        self._lock = threading.Lock()
        self._pending = []
        self._leading = False

    def run(self, member):
        """Hand `member` to the handler with the process's concurrent members; its outcome."""
        limit = settings.SEND_GROUP_COMMIT_MAX
        if connection.in_atomic_block or limit <= 1:
            return self._alone(member)
        job = _Job(member)
        with self._lock:
            self._pending.append(job)
            if not self._leading:
                self._leading = job.leads = True
        if not job.leads:
            job.event.wait()
        if not job.finished:  # this thread leads the next group (its own send is in it)
            self._handle_next(limit)
        if member.alone:
            member.alone = False
            return self._alone(member)
        return member.outcome()

    def _alone(self, member):
        self.handler([member])
        if member.alone:  # a group of one has no one to wait for: never handled twice
            member.alone = False
            member.error = RuntimeError("a send handled alone was not answered")
        return member.outcome()

    def _handle_next(self, limit):
        with self._lock:
            jobs, self._pending = self._pending[:limit], self._pending[limit:]
        members = [job.member for job in jobs]
        try:
            self.handler(members)
        except Exception as exc:  # noqa: BLE001 - a fault of the group's own: each member tries alone
            log.exception("a group of %d sends failed", len(members))
            for member in members:
                if member.result is None and member.error is None:
                    if len(members) == 1:
                        member.error = exc
                    else:
                        member.alone = True
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
