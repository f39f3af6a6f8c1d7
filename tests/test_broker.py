"""Tasks sent through the broker (TEST_BROKER_URL: RabbitMQ, Redis or, by default, the filesystem
transport) run in real worker processes on every queue, and a task a lost worker held is given to
another one (late acknowledgement). The tasks write files, so no shared database is needed."""

import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.workers import broker_env, broker_kind, manage_shell, start_worker, stop_workers, wait_for

pytestmark = pytest.mark.real_worker

INCLUDE = ("tests.broker_tasks",)


def _send(env, path, *, queue, seconds=0):
    manage_shell(
        env,
        "from portal.celery import app; "
        f"app.send_task('tests.broker.record', args=[{str(path)!r}], kwargs={{'seconds': {seconds}}}, queue={queue!r})",
    )


def _lines(path):
    return Path(path).read_text().split("\n")[:-1] if Path(path).exists() else []


def test_a_task_sent_to_each_queue_runs_in_a_worker_process(tmp_path):
    with broker_env(tmp_path) as env:
        worker = start_worker(env, "all", include=INCLUDE)
        try:
            targets = {queue: tmp_path / f"ran-{queue}" for queue in settings.QUEUE_NAMES}
            manage_shell(
                env,
                "from portal.celery import app\n"
                + "".join(
                    f"app.send_task('tests.broker.record', args=[{str(path)!r}], queue={queue!r})\n"
                    for queue, path in targets.items()
                ),
            )
            wait_for(lambda: all(_lines(p) for p in targets.values()), 60, "a task on every queue", tmp_path)
        finally:
            stop_workers(worker)
    for queue, path in targets.items():
        assert _lines(path) == [f"{queue} {worker.pid}"]


def test_a_task_held_by_a_lost_worker_runs_again_elsewhere(tmp_path):
    if broker_kind() == "filesystem":
        pytest.skip("the filesystem transport has no acknowledgements: a lost worker's task is gone")
    # Redis gives an unacknowledged task back only after the visibility timeout (30 minutes in
    # production); a short one here. RabbitMQ gives it back when the worker's connection closes.
    with broker_env(tmp_path, BROKER_VISIBILITY_TIMEOUT="3", SIMULATOR_DLR_DELAY="0") as env:
        path = tmp_path / "ran"
        first = start_worker(env, "first", queues="sms-bulk", include=INCLUDE)
        second = None
        try:
            _send(env, path, queue="sms-bulk", seconds=300)
            wait_for(lambda: Path(f"{path}.started").exists(), 60, "the first worker to take the task", tmp_path)
            first.send_signal(signal.SIGKILL)  # the worker is gone mid-task, as with its machine
            first.wait(10)
            lost_at = time.monotonic()
            assert not _lines(path)
            if broker_kind() == "redis":
                time.sleep(max(0.0, lost_at + 4 - time.monotonic()))  # past the visibility timeout
            second = start_worker(env, "second", queues="sms-bulk", include=INCLUDE)
            wait_for(lambda: _lines(path), 90, "the task to run on the second worker", tmp_path)
        finally:
            stop_workers(first, second)
    assert [line.split()[-1] for line in _lines(path)] == [str(second.pid)]
