"""The portal's real web server (gunicorn with the portal's worker class) on a loopback port, for
requests Django's test client cannot carry: a request line gunicorn refuses before Django runs."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from portal import web_server

ROOT = Path(__file__).resolve().parents[3]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, access_log):
        self.access_log = access_log
        self.port = free_port()
        env = {**os.environ, "SECRET_KEY": "web-server-test", "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1"}
        args = web_server.command(
            str(Path(sys.executable).parent), bind=f"127.0.0.1:{self.port}", workers=1, access_log=str(access_log)
        )
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait()

    def _wait(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start listening")

    def send(self, raw, timeout=30):
        """Send `raw` bytes on a new connection; returns (status, headers, body) of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(raw)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        return int(status_line.split(" ")[1]), headers, body

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
