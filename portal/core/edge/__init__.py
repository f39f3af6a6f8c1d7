"""The edge server: a lean asyncio HTTP/1.1 process for the few machine-to-machine paths that
must answer faster than gunicorn and Django's request cycle can (Caddy's TLS `ask`, the provider's
status webhooks). The platform core serves whatever the apps register (`routes.register`, in
their AppConfig.ready) and knows none of them; docs/architecture.md ("The edge server")."""

from portal.core.edge.messages import Request, Response
from portal.core.edge.routes import register

__all__ = ["Request", "Response", "register"]
