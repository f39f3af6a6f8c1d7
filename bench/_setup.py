"""Shared start-up for benchmark scripts: Django settings with a scratch database."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()


def scratch_database():
    """Create and migrate a throw-away test database; returns a teardown callable."""
    from django.conf import settings
    from django.test.utils import get_runner, setup_test_environment

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    return lambda: runner.teardown_databases(old)


def percentile(values, pct):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _server_env(settings, broker):
    """The environment a benchmark's server process runs with: this scratch database and broker."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
    }


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(*, workers, broker, timeout=120, worker_class="sync", threads=1):
    """Serve the scratch database with gunicorn on a free loopback port; returns (process, port).
    Dispatch tasks go to `broker` (a scratch Redis database the caller flushes)."""
    import http.client
    import subprocess
    import time

    from django.conf import settings

    port = free_port()
    env = _server_env(settings, broker)
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            str(timeout),
            # The portal's own workers (portal/web_server.py); threads > 1: the threaded one.
            *(
                ["--worker-class", "portal.web_server.ApiThreadWorker", "--threads", str(threads)]
                if worker_class == "gthread" or threads > 1
                else ["--worker-class", "portal.web_server.ApiSyncWorker"]
            ),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    end = time.monotonic() + 120  # a loaded 2-core machine can take a minute to boot a worker
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status < 500:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def start_edge(*, broker, paths=()):
    """The edge server (`manage.py edge`, only `paths` when given) on the scratch database, on a
    free loopback port; returns (process, port). Its one process is what to measure CPU of."""
    import socket
    import subprocess
    import time

    from django.conf import settings

    port = free_port()
    env = _server_env(settings, broker)
    command = [sys.executable, str(ROOT / "manage.py"), "edge", "--port", str(port)]
    for path in paths:
        command += ["--path", path]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed arguments
    end = time.monotonic() + 120
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the edge server did not start")


def worker_pids(server):
    """gunicorn's worker processes (children of the arbiter)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_rss_mb(pid):
    """A process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def in_process_pusher(secret):
    """push(i): one `POST /v1/messaging/sms` through Django's test client (no HTTP server), so a
    profile or CPU count sees only the portal's own work."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def push(i):
        body = {"type": "transactional", "from": "Push", "transactionID": f"tx-{i}", "to": f"447400{100000 + i}"}
        body.update({"msg": f"Your code is {i}", "tiny": "0", "dlr": {"mask": 1}})
        res = client.post("/v1/messaging/sms", body, format="json")
        assert res.status_code == 200, res.content

    return push


def push_account():
    """An account with an approved UK sender `Push`, a price, plenty of credits and no practical
    rate limit; returns its API key's secret."""
    from accounts.services.apikeys import create_api_key
    from accounts.services.customers import create_customer
    from messaging.pricing.services import save_price
    from messaging.review import services as review
    from messaging.senders import services as registry

    account, _ = create_customer(email="push@example.com", password="x", credits_amount="1000000")
    account.api_rate_limit = 10_000_000
    account.save()
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "1"})
    review.approve(
        item=registry.create_sender(account=account, data={"name": "Push", "service": "G", "country_code": "GB"})
    )
    return create_api_key(account=account, name="push")[1]


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
