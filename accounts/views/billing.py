"""Placeholder views; replaced by the real pages."""

from django.http import HttpResponse


def ledger_list(request, *args, **kwargs):
    return HttpResponse(status=501)


def child_list(request, *args, **kwargs):
    return HttpResponse(status=501)


def child_transfer(request, *args, **kwargs):
    return HttpResponse(status=501)
