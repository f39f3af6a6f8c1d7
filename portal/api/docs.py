"""The API reference page (Redoc, served from the portal's own static files)."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# Redoc's footer links an image on the vendor's CDN; the policy keeps the page fully local
# (the browser never makes that request and Redoc hides the broken image).
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # Redoc injects its styles at run time
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # the search index runs in a blob worker
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


class ApiDocsView(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        # The brand of the host (accounts.brands sets request.brand) names the page.
        brand = getattr(request, "brand", None)
        self.title = brand.reference_title if brand is not None else None
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response
