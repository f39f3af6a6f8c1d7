"""Group commit on the edge's loop: requests hand in items, one thread writes every item waiting
in one call, and each request's future resolves only after that call returned (for a database
write in autocommit: after its commit). While one write is in flight the next group gathers, so
a disk's commit latency is paid once per group, however many connections are open."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The write failed or did not finish within the timeout: the items were not written."""


class GroupWriter:
    def __init__(self, write, *, name, max_group=500, timeout=10.0):
        self.write, self.max_group, self.timeout = write, max_group, timeout
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=name)
        self.waiting = []
        self.flushing = False
        self.stuck = False  # the write in flight has outlived the timeout

    def submit(self, item):
        """A future resolved once `item` is written (Unavailable when it was not)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self.stuck:
            future.set_exception(Unavailable("the previous write has not returned"))
            return future
        self.waiting.append((item, future))
        if not self.flushing:
            self.flushing = True
            loop.create_task(self._flush(loop))
        return future

    async def _flush(self, loop):
        try:
            while self.waiting:
                group = self.waiting[: self.max_group]
                del self.waiting[: self.max_group]
                # A hung database must not hold requests forever: they get Unavailable (and the
                # client retries; a write that still lands later is only a duplicate body), and
                # so does every request until the write returns.
                timer = loop.call_later(self.timeout, self._expire, group)
                try:
                    await loop.run_in_executor(self.pool, self.write, [item for item, _ in group])
                except Exception as error:  # noqa: BLE001 - every waiting request is told
                    log.warning("edge group write failed (%d items)", len(group), exc_info=True)
                    _fail(group, repr(error))
                else:
                    for _, future in group:
                        if not future.done():
                            future.set_result(None)
                finally:
                    timer.cancel()
                    self.stuck = False
        finally:
            self.flushing = False

    def _expire(self, group):
        self.stuck = True
        _fail(group + self.waiting, "timed out")
        self.waiting = []

    def close(self, finish=None):
        """Stop the writer thread, after running `finish` on it (closing its connection, say)."""
        if finish is not None:
            self.pool.submit(finish)
        self.pool.shutdown(wait=True)


def _fail(group, why):
    for _, future in group:
        if not future.done():
            future.set_exception(Unavailable(why))
