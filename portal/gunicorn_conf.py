"""gunicorn settings of the web process (`gunicorn -c python:portal.gunicorn_conf …`).

gunicorn writes `Server: gunicorn` on every answer and has no setting to turn it off; the banner
only tells a scanner what to try. This module is imported by the master before it forks the
workers, so dropping the line from the response's default headers applies to every worker.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _without_server_banner(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_banner
