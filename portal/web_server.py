"""The web server: gunicorn's command line, and its sync and threaded workers answering the requests it cannot
parse in the v2 error envelope.

gunicorn refuses a malformed request before Django sees it, with an HTML page: the vendor's Java
and Go SDKs put the message text into the URL unencoded, so their request line reads
`GET /api/v2/sms/send?...&message=Hello from Java!&... HTTP/1.1` and gunicorn answers
400 "Invalid HTTP Version". Clients parse JSON, so this worker writes those refusals as
`{"status": "failed", "code": 400, "message": "..."}` instead (docs/api.md, "Published clients").

`runportal` starts gunicorn with `command()`.
"""

import json
import os

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker

# The request line is echoed into gunicorn's message; it may hold `?access_token=`, so the answer
# names the problem in fixed words and never repeats what the client sent.
MALFORMED_LINE = (
    "Bad Request: the request line is malformed. Percent-encode spaces and other reserved "
    "characters in the URL (for example with urlencode), or send the parameters in the body."
)
MESSAGES = {
    "Invalid Request Line": MALFORMED_LINE,
    "Invalid HTTP Version": MALFORMED_LINE,
    "Invalid Method": "Bad Request: the request method is malformed.",
}


def envelope_error(sock, status_int, reason, mesg):
    """Drop-in for `gunicorn.util.write_error`: the same status line, a JSON body."""
    message = next((text for prefix, text in MESSAGES.items() if mesg.startswith(prefix)), None)
    body = json.dumps({"status": "failed", "code": status_int, "message": message or f"{reason}."}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


class ApiSyncWorker(SyncWorker):
    def init_process(self):
        # gunicorn's error path calls `util.write_error` by module attribute; this worker process
        # answers with the envelope from here on (the master process is untouched).
        util.write_error = envelope_error
        super().init_process()


class ApiThreadWorker(ThreadWorker):
    """The same answers from gunicorn's threaded worker (`threads` > 1): one process serves many
    requests at once, keeps connections alive, and concurrent sends share a commit
    (messaging/pipeline/group_commit.py)."""

    def init_process(self):
        util.write_error = envelope_error
        super().init_process()


# gunicorn's default access log line without the query string, which may carry `access_token`.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def command(bindir, *, bind, workers, threads=1, access_log="-", log_level="info"):
    """gunicorn's argument list for `portal.wsgi` (runportal and the tests start the same server);
    `access_log=None` logs no requests; `threads` > 1 runs the threaded worker."""
    logging = ["--access-logfile", access_log, "--access-logformat", ACCESS_LOG_FORMAT] if access_log else []
    worker = ["--worker-class", f"{__name__}.ApiSyncWorker"]
    if threads > 1:
        worker = ["--worker-class", f"{__name__}.ApiThreadWorker", "--threads", str(threads)]
    return [
        os.path.join(bindir, "gunicorn"),
        "--config",  # drops the `Server` banner (portal/gunicorn_conf.py)
        "python:portal.gunicorn_conf",
        "portal.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        *worker,
        *logging,
        "--log-level",
        log_level,
        "--graceful-timeout",
        "5",
    ]
