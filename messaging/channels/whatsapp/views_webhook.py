"""The Cloud API webhook endpoint: the GET verification handshake and the signed POSTs. The edge
server answers both in production (webhook_edge.py); under gunicorn the POST is answered by
`webhook_wsgi` before Django; this view answers it the same way (`webhook_buffer.accept`) for
every other server."""

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.channels.whatsapp import intake, webhook_buffer


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cloud_api_webhook(request):
    if request.method == "GET":
        challenge = intake.subscription_challenge(
            request.GET.get("hub.mode"), request.GET.get("hub.verify_token", ""), request.GET.get("hub.challenge", "")
        )
        if challenge is None:
            return HttpResponseForbidden("Verification token mismatch.")
        return HttpResponse(challenge, content_type="text/plain")
    try:
        webhook_buffer.accept(request.body, request.headers.get("X-Hub-Signature-256"))
    except webhook_buffer.Refused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    return JsonResponse({"received": True})
