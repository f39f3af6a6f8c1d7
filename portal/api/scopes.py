"""The API key scope vocabulary: what a key may be used for, declared by every v2 view.

Each view states, per HTTP method, the scope a key needs (`required_scopes = {"GET": Scope.READ,
"POST": Scope.WRITE}`), a tuple when any of several suffices, or `ANY_KEY` for the few endpoints
that only describe the key itself. One permission class (`accounts.api.permissions`) checks it;
what each role may grant lives with the roles (`accounts.scopes`), since this layer knows no
roles. A view declaring a name outside the vocabulary fails when its class is defined.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Scope(models.TextChoices):
    READ = "read", "Read: every GET (messages, reports, balance, registry, contacts, webhooks)"
    SEND = "send", "Send: every send endpoint (SMS, channel API, Engage push and notify)"
    OTP = "otp", "OTP: Engage push only (one message per request)"
    WRITE = "write", "Write: change senders, templates, suppressions and contacts"
    WEBHOOKS = "webhooks", "Webhooks: change webhooks and event subscriptions"
    CREDITS = "credits", "Credits: move credits to child accounts (resellers)"


# Any active key may call these (auth/me, bearer token exchange): they only describe or
# re-issue the key itself, and a JWT carries the key's own scopes.
ANY_KEY = "any"

READ_METHODS = ("GET", "HEAD")


def reads_and(write_scope, *methods):
    """GET/HEAD need `read`; `methods` (default POST, PUT, PATCH, DELETE) need `write_scope`."""
    return {"GET": Scope.READ, **{m: write_scope for m in methods or ("POST", "PUT", "PATCH", "DELETE")}}


def scopes_of(value):
    """The scopes a declared value accepts, as a tuple (ANY_KEY stays as it is)."""
    if value == ANY_KEY:
        return ANY_KEY
    return tuple(value) if isinstance(value, (tuple, list, set, frozenset)) else (value,)


def check_declaration(view_name, declared):
    """Raise ImproperlyConfigured when a view's `required_scopes` names an unknown scope."""
    if declared is None:
        return
    for method, value in declared.items():
        if method != method.upper():
            raise ImproperlyConfigured(f"{view_name}.required_scopes: methods are upper case ({method!r}).")
        accepted = scopes_of(value)
        if accepted == ANY_KEY:
            continue
        for scope in accepted:
            if scope not in Scope.values:
                known = ", ".join(Scope.values)
                raise ImproperlyConfigured(
                    f"{view_name}.required_scopes[{method}]: unknown scope {scope!r}; known: {known}."
                )


def required_for(view, method):
    """What `method` on `view` needs: a tuple of scopes, ANY_KEY, or None when undeclared.
    HEAD follows GET; OPTIONS (DRF's metadata answer, no data) needs any key."""
    declared = getattr(view, "required_scopes", None) or {}
    method = method.upper()
    if method == "OPTIONS":
        return ANY_KEY
    if method == "HEAD" and "HEAD" not in declared:
        method = "GET"
    value = declared.get(method)
    return None if value is None else scopes_of(value)
