from django.http import Http404, HttpResponseRedirect
from django.views.decorators.http import require_safe

from messaging.links import services
from portal.core.net import client_ip


@require_safe
def follow(request, code):
    """`GET <short url>`: count the visit and redirect (302, so a later edit of the target holds).
    HEAD (link previews) redirects without counting."""
    link = services.resolve(code)
    if link is None:
        raise Http404("No such link.")
    if request.method == "GET":
        services.record_visit(
            link=link,
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            referer=request.META.get("HTTP_REFERER", ""),
        )
    response = HttpResponseRedirect(link.long_url)
    response["Cache-Control"] = "no-store"  # every click must reach us to be counted
    response["Referrer-Policy"] = "no-referrer"
    return response
