import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_application = get_wsgi_application()

from messaging.channels.whatsapp import webhook_wsgi  # noqa: E402 - needs Django set up


def application(environ, start_response):
    # The provider's status webhooks skip Django's request cycle (webhook_wsgi explains why).
    if webhook_wsgi.wants(environ):
        return webhook_wsgi.application(environ, start_response)
    return django_application(environ, start_response)
