"""Placeholder views; replaced by the real pages."""

from django.http import HttpResponse


def team_list(request, *args, **kwargs):
    return HttpResponse(status=501)


def team_invite(request, *args, **kwargs):
    return HttpResponse(status=501)


def member_role(request, *args, **kwargs):
    return HttpResponse(status=501)


def member_remove(request, *args, **kwargs):
    return HttpResponse(status=501)


def invitation_revoke(request, *args, **kwargs):
    return HttpResponse(status=501)


def invitation_accept(request, *args, **kwargs):
    return HttpResponse(status=501)
