"""Placeholder views; replaced by the real pages."""

from django.http import HttpResponse


def security_settings(request, *args, **kwargs):
    return HttpResponse(status=501)


def two_factor_setup(request, *args, **kwargs):
    return HttpResponse(status=501)


def two_factor_disable(request, *args, **kwargs):
    return HttpResponse(status=501)


def recovery_codes_regenerate(request, *args, **kwargs):
    return HttpResponse(status=501)
