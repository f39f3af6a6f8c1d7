"""Placeholder views; replaced by the real pages."""

from django.http import HttpResponse


def customer_list(request, *args, **kwargs):
    return HttpResponse(status=501)


def customer_detail(request, *args, **kwargs):
    return HttpResponse(status=501)


def customer_adjust_credits(request, *args, **kwargs):
    return HttpResponse(status=501)


def audit_log(request, *args, **kwargs):
    return HttpResponse(status=501)
