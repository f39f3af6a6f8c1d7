import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# Imported once Django is set up: Caddy's TLS `ask` is answered before Django's stack.
from accounts.brands.ask import AskFastPath  # noqa: E402

application = AskFastPath(application)
