"""A local webhook receiver for the benchmark: 127.0.0.1 only, keep-alive HTTP/1.1, bounded.

    python _receiver.py MODE MAX_REQUESTS MAX_SECONDS KEY

MODE `fast` answers 200 at once; `hang` reads the request and never answers. It prints its port,
then exits by itself after MAX_REQUESTS requests or MAX_SECONDS, printing a JSON summary
(requests seen, and how many sampled signatures verified with KEY).
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import sys

RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


async def main(mode, limit, seconds, key):
    stats = {"requests": 0, "checked": 0, "valid": 0}
    done = asyncio.Event()

    async def handle(reader, writer):
        try:
            while not done.is_set():
                head = await reader.readuntil(b"\r\n\r\n")
                length, signature = 0, b""
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"signature":
                        signature = value.strip()
                body = await reader.readexactly(length) if length else b""
                stats["requests"] += 1
                if stats["requests"] % 50 == 1 and signature:
                    parts = dict(p.split(b"=", 1) for p in signature.split(b","))
                    expected = hmac.new(key, parts[b"t"] + b"." + body, hashlib.sha256).hexdigest().encode()
                    stats["checked"] += 1
                    stats["valid"] += hmac.compare_digest(expected, parts[b"v1"])
                if stats["requests"] >= limit:
                    done.set()
                if mode == "hang":
                    await asyncio.sleep(3600)
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), seconds)
    server.close()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].encode()))
