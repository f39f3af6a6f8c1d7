"""Starting the simulator as a process of its own (tests, benchmarks, `runportal`)."""

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from messaging.channels.whatsapp.simulator.server import DEFAULTS

ROOT = Path(__file__).resolve().parents[4]  # the project, from which `-m messaging…` imports


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SimulatorProcess:
    """`with SimulatorProcess(webhook_url=..., app_secret=..., config={...}) as sim:` → sim.url."""

    def __init__(self, *, webhook_url="", app_secret=DEFAULTS["app_secret"], config=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable, "-m", "messaging.channels.whatsapp.simulator", "--port", str(self.port),
            "--webhook-url", webhook_url, "--app-secret", app_secret, "--config", json.dumps(config or {}),
        ]  # fmt: skip
        self.process = None

    def start(self, timeout=10):
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}/_control/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("The WhatsApp simulator did not start.")

    def control(self, path, payload=None):
        if payload is None:
            return httpx.get(f"{self.url}/_control/{path}", timeout=10).json()
        return httpx.post(f"{self.url}/_control/{path}", json=payload, timeout=10).json()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
