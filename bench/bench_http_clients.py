"""The HTTP client the WhatsApp connector sends with: httpx in a thread pool (as it did) against
the asyncio `PinnedPool` (as it does), both POSTing the same Graph-API-sized JSON to a minimal
loopback server in another process. Prints requests/s and the client's CPU per request; the CPU
figure is the one to compare on a busy machine.

Run:  cd bench && ../.venv/bin/python bench_http_clients.py [--requests 5000] [--concurrency 32]
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _setup import setup_django

SERVER = r"""
import asyncio, sys
BODY = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.HBgLMTIzNDU2Nzg5MDEyFQIAERgSQT"}]}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY

class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            self.transport.write(ANSWER)

async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""

BODY = {"messaging_product": "whatsapp", "to": "447700900001", "type": "template",
        "template": {"name": "order_update", "language": {"code": "en"}}}  # fmt: skip


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def with_httpx(url, n, concurrency):
    import httpx

    client = httpx.Client(limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
    pool = ThreadPoolExecutor(concurrency)

    def one(_):
        return client.post(url, json=BODY, headers={"Authorization": "Bearer x"}).json()

    list(pool.map(one, range(n)))


def with_pinned_pool(url, n, concurrency):
    from portal.core.outbound import PinnedPool

    async def run():
        pool, slots = PinnedPool(trusted=True), asyncio.Semaphore(concurrency)
        body = json.dumps(BODY).encode()

        async def one():
            async with slots:
                answer = await pool.request(
                    "POST", url, headers={"Authorization": "Bearer x", "Content-Type": "application/json"}, content=body
                )
                return json.loads(answer.body)

        await asyncio.gather(*(one() for _ in range(n)))
        await pool.aclose()

    asyncio.run(run())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}/v23.0/PN1/messages"
        for _ in range(args.rounds):
            for name, run in (("httpx in threads", with_httpx), ("PinnedPool (asyncio)", with_pinned_pool)):
                run(url, 200, args.concurrency)  # warm: connections open, code loaded
                start, cpu_start = time.perf_counter(), cpu()
                run(url, args.requests, args.concurrency)
                wall, used = time.perf_counter() - start, cpu() - cpu_start
                per_request = used / args.requests * 1000
                print(f"{name}: {args.requests / wall:,.0f} requests/s, client CPU {per_request:.3f} ms per request")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
