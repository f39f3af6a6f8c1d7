"""Page permissions: the one vocabulary that roles grant, view decorators require and templates check.

`Permission` lists every name. `ROLE_PERMISSIONS` (accounts.models) is built from its members, the
`account_required` decorator refuses an unknown name when it decorates (so at import time) and the
`{% can %}` template tag (accounts.templatetags.portal_tags) refuses one when the template is
compiled, so a misspelt permission fails loudly instead of quietly denying everyone.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.shortcuts import redirect


class Permission(models.TextChoices):
    MANAGE_TEAM = "manage_team", "Manage team members and invitations"
    MANAGE_KEYS = "manage_keys", "Manage API keys and webhooks"
    VIEW_AUDIT = "view_audit", "View the audit log"
    MANAGE_CREDITS = "manage_credits", "Manage credits and customer accounts"
    SEND = "send", "Send messages and edit senders, templates, suppressions and contacts"
    MANAGE_BRAND = "manage_brand", "Manage the reseller's brand and its domains"


class UnknownPermission(ImproperlyConfigured):
    """A permission name that is not in `Permission`."""


def permission_named(name):
    """The `Permission` called `name`; `UnknownPermission` for anything else (a typo, a removed name)."""
    try:
        return Permission(name)
    except ValueError:
        known = ", ".join(p.value for p in Permission)
        raise UnknownPermission(f"Unknown permission {name!r}; known: {known}.") from None


def account_required(permission=None):
    """Page decorator: a logged-in member of an account, optionally holding `permission`.

    The wrapped view carries `required_permission` (a `Permission` or None), which the tests read to
    check that every role lacking it gets a 403.
    """
    required = permission_named(permission) if permission is not None else None

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.account is None:
                if request.user.is_staff:
                    return redirect("staff:customer_list")
                raise PermissionDenied("You are not a member of any account.")
            if required and not request.membership.can(required):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        wrapped.required_permission = required
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
