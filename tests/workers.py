"""Real Celery worker processes for tests, on the broker TEST_BROKER_URL names.

- unset: Celery's filesystem transport in the test's own DATA_DIR (no server), as in development;
- `amqp://…` (RabbitMQ): each test gets a virtual host of its own, made with `rabbitmqctl` (or
  RABBITMQCTL) when the broker runs on this machine and deleted afterwards, so parallel test
  processes and other suites on the same server never take each other's tasks; without
  `rabbitmqctl` the URL's virtual host is used as it is and must belong to this run;
- `redis://…`: each test's broker keys carry a prefix of their own (BROKER_KEY_PREFIX), removed
  afterwards.

An unreachable broker skips the test and says why (`-rs` lists the reasons); REQUIRE_TEST_BROKER=1
(CI) fails it instead. Tests that start workers carry the `real_worker` mark, so CI can run them
again on another broker: `TEST_BROKER_URL=amqp://guest:guest@127.0.0.1:5672// pytest -m real_worker`.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Variables of the test process that must not reach the workers: they pick the broker, the cache
# and pytest's own state.
_PRIVATE = ("PYTEST", "REDIS", "CACHE", "CELERY", "BROKER", "TEST_BROKER", "REQUIRE_TEST_BROKER")


def broker_url():
    return os.environ.get("TEST_BROKER_URL", "").strip() or "filesystem://"


def broker_kind(url=None):
    scheme = (url or broker_url()).split("://", 1)[0].lower()
    return {"pyamqp": "amqp", "amqps": "amqp", "rediss": "redis"}.get(scheme, scheme)


def _unavailable(reason):
    if os.environ.get("REQUIRE_TEST_BROKER") == "1":
        pytest.fail(f"test broker required (REQUIRE_TEST_BROKER=1): {reason}")
    pytest.skip(reason)


def _check_reachable(url):
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # any failure to connect means: no broker for this test
        _unavailable(f"TEST_BROKER_URL {_safe(url)} is unreachable: {exc.__class__.__name__}: {exc}")


def _safe(url):
    parts = urlsplit(url)
    if parts.password:
        return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    return url


@contextlib.contextmanager
def _amqp_vhost(url):
    """A throw-away virtual host on a local RabbitMQ; the URL as it is when none can be made."""
    parts = urlsplit(url)
    ctl = shutil.which(os.environ.get("RABBITMQCTL", "rabbitmqctl"))
    if ctl is None or (parts.hostname or "127.0.0.1") not in LOCAL_HOSTS:
        yield url
        return
    vhost = f"portal-test-{uuid.uuid4().hex[:12]}"
    user = unquote(parts.username or "guest")

    def ctl_run(*args):
        return subprocess.run([ctl, "-q", *args], capture_output=True, text=True, timeout=60)  # noqa: S603

    made = ctl_run("add_vhost", vhost)
    if made.returncode != 0:  # e.g. no access to the node's cookie: share the URL's vhost
        yield url
        return
    try:
        ctl_run("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield parts._replace(path="/" + quote(vhost, safe="")).geturl()
    finally:
        ctl_run("delete_vhost", vhost)


def _drop_redis_keys(url, prefix):
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextlib.contextmanager
def broker_env(data_dir, **extra):
    """The environment for worker and sender processes of one test: the test database, DATA_DIR
    (file cache and, by default, the filesystem broker) and the chosen broker, isolated for this
    test. Skips the test when that broker cannot be reached."""
    db = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE)}
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env.update(DATA_DIR=str(data_dir), SECRET_KEY="real-worker-test", **extra)
    url, kind = broker_url(), broker_kind()
    if kind == "filesystem":
        env["CELERY_BROKER_URL"] = "filesystem://"
        yield env
        return
    _check_reachable(url)
    if kind == "amqp":
        with _amqp_vhost(url) as isolated:
            env["CELERY_BROKER_URL"] = isolated
            yield env
        return
    if kind == "redis":
        prefix = f"portal-test-{uuid.uuid4().hex[:12]}:"
        env.update(CELERY_BROKER_URL=url, BROKER_KEY_PREFIX=prefix)
        try:
            yield env
        finally:
            _drop_redis_keys(url, prefix)
        return
    env["CELERY_BROKER_URL"] = url
    yield env


def start_worker(env, name, *, queues=None, include=(), loglevel="WARNING"):
    """One `celery worker` process on `queues` (default: all of them) with the solo pool (one task
    at a time; killing the process kills the worker, as losing its machine would); its output goes
    to DATA_DIR/<name>.log."""
    queues = queues or ",".join(settings.QUEUE_NAMES)
    args = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo"]
    args += ["--hostname", f"{name}@{uuid.uuid4().hex[:8]}", "--queues", queues]
    args += ["--without-gossip", "--without-mingle", "--loglevel", loglevel]
    if include:
        args += ["--include", ",".join(include)]
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        args,
        cwd=ROOT,
        env=env,
        stdout=open(Path(env["DATA_DIR"]) / f"{name}.log", "w"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
    )


def stop_workers(*procs):
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in procs:
        if proc is not None:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def flush_broker(env):
    """Drop every task the broker holds for this test, delivered or not (as losing the broker's
    data would): the filesystem transport's message files, the test's Redis keys (queues and the
    unacknowledged set), or RabbitMQ's queues (a killed worker's unacknowledged tasks are back
    in them once its connection is gone)."""
    kind = broker_kind(env["CELERY_BROKER_URL"])
    if kind == "filesystem":
        for path in (Path(env["DATA_DIR"]) / "broker" / "queue").glob("*"):
            path.unlink(missing_ok=True)
    elif kind == "redis":
        _drop_redis_keys(env["CELERY_BROKER_URL"], env["BROKER_KEY_PREFIX"])
    else:
        manage_shell(env, "from portal.celery import app; app.control.purge()")


def manage_shell(env, code):
    """Run Python in a `manage.py shell` with the workers' settings (e.g. to send a task through the
    broker exactly as the web process would)."""
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)  # noqa: S603


def logs(data_dir):
    return "".join(f"\n--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(Path(data_dir).glob("*.log")))


def wait_for(condition, timeout, what, data_dir=None, detail=lambda: ""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what} (broker {broker_kind()}){detail()}"
        + (logs(data_dir) if data_dir else "")
    )
