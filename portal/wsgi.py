import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_application = get_wsgi_application()

# Imported once Django is set up: Caddy's TLS `ask` is answered before Django's stack, and so
# are the provider's status webhooks (webhook_wsgi explains why).
from accounts.brands.ask import AskFastPath  # noqa: E402
from messaging.channels.whatsapp import webhook_wsgi  # noqa: E402


def _webhooks_first(environ, start_response):
    if webhook_wsgi.wants(environ):
        return webhook_wsgi.application(environ, start_response)
    return django_application(environ, start_response)


application = AskFastPath(_webhooks_first)
