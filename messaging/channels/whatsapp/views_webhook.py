"""The Cloud API webhook endpoint: the GET verification handshake and the signed POSTs."""

import json

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.channels.whatsapp import intake
from messaging.channels.whatsapp.models import BusinessNumber


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cloud_api_webhook(request):
    if request.method == "GET":
        mode, token = request.GET.get("hub.mode"), request.GET.get("hub.verify_token", "")
        if mode == "subscribe" and token and BusinessNumber.objects.filter(verify_token=token).exists():
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("Verification token mismatch.")
    body = request.body
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("The body is not JSON.")
    if not isinstance(payload, dict):
        return HttpResponseBadRequest("The body is not a webhook object.")
    try:
        numbers = intake.verify(payload, body, request.headers.get("X-Hub-Signature-256"))
    except intake.BadSignature:
        return JsonResponse({"error": "Invalid X-Hub-Signature-256."}, status=401)
    return JsonResponse(intake.process(payload, numbers))
