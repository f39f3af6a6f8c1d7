"""Starting and stopping the edge server: the routes' `start()` before the port opens (an ask
answered before its first set of hosts is loaded would say no to a served domain), their
`stop()` after it closes. `run()` is the process (`manage.py edge`); `serve_in_thread()` the
same server on a loop thread, for tests and benchmarks."""

import asyncio
import contextlib
import gc
import logging
import signal
import threading

from django.conf import settings

from portal.core.edge import routes as registry
from portal.core.edge.http import Connections, EdgeProtocol, Limits

log = logging.getLogger(__name__)


def limits_from_settings():
    return Limits(
        request_seconds=settings.EDGE_REQUEST_SECONDS,
        keepalive_seconds=settings.EDGE_KEEPALIVE_SECONDS,
        connections=settings.EDGE_MAX_CONNECTIONS,
    )


class EdgeServer:
    def __init__(self, routes, *, host="127.0.0.1", port=0, limits=None):
        self.routes, self.host, self.port = routes, host, port
        self.shared = Connections(routes, limits or limits_from_settings())
        self.server = None

    async def start(self):
        for route in self.routes.values():
            if hasattr(route, "start"):
                await route.start()
        loop = asyncio.get_running_loop()
        self.shared.start(loop)
        self.server = await loop.create_server(
            lambda: EdgeProtocol(self.shared), self.host, self.port, reuse_address=True, backlog=2048
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self.server is not None:
            self.server.close()
            for protocol in list(self.shared.open):  # idle keep-alive connections would hold wait_closed
                if not protocol.busy and protocol.transport is not None:
                    protocol.transport.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 5)
        self.shared.stop()
        for route in self.routes.values():
            if hasattr(route, "stop"):
                await route.stop()


def run(host, port, paths=None):
    """Serve the registered routes (or those named in `paths`) until SIGTERM or SIGINT."""

    async def main():
        server = await EdgeServer(registry.build(paths), host=host, port=port).start()
        # Django and the apps loaded are long-lived: keep them out of every garbage collection,
        # which would otherwise walk them all as the requests' short-lived objects pile up.
        gc.collect()
        gc.freeze()
        log.debug("edge serving %s on %s:%s", ", ".join(server.routes), host, server.port)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        await server.stop()

    asyncio.run(main())


class ThreadedServer:
    """An EdgeServer on its own loop thread: `port`, `loop`, `stop()`."""

    def __init__(self, routes, host="127.0.0.1", limits=None):
        self.loop = asyncio.new_event_loop()
        self.server = EdgeServer(routes, host=host, limits=limits)
        ready = threading.Event()
        self.error = None

        def main():
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self.server.start())
            except BaseException as error:  # noqa: BLE001 - handed to the starting thread
                self.error = error
                ready.set()
                return
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=main, name="edge-server", daemon=True)
        self.thread.start()
        ready.wait(30)
        if self.error is not None:
            raise self.error
        self.port = self.server.port

    def call(self, fn, *args):
        """Run `fn(*args)` on the server's loop and return its result (a coroutine is awaited)."""

        async def invoke():
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(invoke(), self.loop).result(30)

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def serve_in_thread(routes, host="127.0.0.1", limits=None):
    return ThreadedServer(routes, host=host, limits=limits)
