"""What every page of a brand loads: its stylesheet of colours, its logo and its favicon."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.brands import domains
from accounts.brands.stylesheet import brand_colours, css_for

# Assets carry the brand's version in their URL, so they can be kept for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# An uploaded image opened on its own must not run anything (an SVG is a document).
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@require_GET
def stylesheet(request):
    response = HttpResponse(css_for(brand_colours(request.brand)), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = IMMUTABLE if request.GET.get("v") else "no-cache"
    return response


def _image(data, content_type, versioned):
    if not data:
        raise Http404
    response = HttpResponse(bytes(data), content_type=content_type)
    response["Content-Security-Policy"] = IMAGE_CSP
    response["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
    return response


@require_GET
def logo(request):
    return _image(request.brand.logo, request.brand.logo_type, bool(request.GET.get("v")))


@require_GET
def favicon(request):
    return _image(request.brand.favicon, request.brand.favicon_type, bool(request.GET.get("v")))


@require_GET
def tls_ask(request):
    """Caddy's on-demand TLS asks here before it requests a certificate for `?domain=`: yes
    (200) only for a verified brand domain, so nobody can make the server fetch certificates for
    names it does not serve."""
    if domains.allows_certificate(request.GET.get("domain", "")):
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unknown domain", status=404, content_type="text/plain")
