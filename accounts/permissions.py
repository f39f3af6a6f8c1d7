"""Role checks shared by pages and API."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def account_required(permission=None):
    """Page decorator: a logged-in member of an account, optionally holding `permission`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.account is None:
                if request.user.is_staff:
                    return redirect("staff:customer_list")
                raise PermissionDenied("You are not a member of any account.")
            if permission and not request.membership.can(permission):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return wrapped
