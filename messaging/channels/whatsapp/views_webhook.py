"""The Cloud API webhook endpoint: the GET verification handshake and the signed POSTs. Under
gunicorn the POST is answered by `webhook_wsgi` before Django; this view answers it the same way
(`webhook_buffer.accept`) for every other server."""

from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.channels.whatsapp import webhook_buffer
from messaging.channels.whatsapp.models import BusinessNumber


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cloud_api_webhook(request):
    if request.method == "GET":
        mode, token = request.GET.get("hub.mode"), request.GET.get("hub.verify_token", "")
        if mode == "subscribe" and token and BusinessNumber.objects.filter(verify_token=token).exists():
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("Verification token mismatch.")
    try:
        webhook_buffer.accept(request.body, request.headers.get("X-Hub-Signature-256"))
    except webhook_buffer.Refused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    return JsonResponse({"received": True})
