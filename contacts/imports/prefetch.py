"""Run a generator one step ahead in a thread: the import parses the next chunk (CPU) while the
current one is written (the thread waits on PostgreSQL with the GIL released)."""

import queue
import threading

_DONE = object()


def prefetch(iterable, depth=1):
    """Yield the items of `iterable`, produced in a background thread at most `depth` ahead.
    An exception in the producer is raised here; closing this generator stops the producer."""
    items = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in iterable:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            _put_final(items, stop, (_DONE, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            _put_final(items, stop, (_DONE, exc))

    thread = threading.Thread(target=produce, name="import-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _put_final(items, stop, value):
    while not stop.is_set():
        try:
            items.put(value, timeout=0.2)
            return
        except queue.Full:
            continue
