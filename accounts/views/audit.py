"""Placeholder views; replaced by the real pages."""

from django.http import HttpResponse


def audit_log(request, *args, **kwargs):
    return HttpResponse(status=501)
