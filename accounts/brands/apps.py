from django.apps import AppConfig


class BrandsConfig(AppConfig):
    name = "accounts.brands"
    label = "brands"
    verbose_name = "White-label brands and their domains"

    def ready(self):
        from portal.core import edge

        from . import signals  # noqa: F401

        # Caddy's on-demand TLS `ask` on the edge server (accounts/brands/edge.py).
        edge.register("/tls/ask", "accounts.brands.edge.AskRoute")
