"""What API key scopes each role may hold: a key never does more than its holder's role allows.

A scope is usable by a role when the role has the page permission behind it (`SCOPE_PERMISSION`),
so pages and the API cannot drift: a developer, who may not move credits on the billing page,
cannot hold or use a key with the `credits` scope. The bound is applied when a key is created
(the form offers only what the creator may grant) and again on every request, against the
holder's role at that moment (`effective_scopes`).
"""

import functools

from accounts.models import ROLE_PERMISSIONS, Role
from accounts.permissions import Permission
from portal.api.scopes import Scope

SCOPE_PERMISSION = {
    Scope.READ: None,  # every member reads every page
    Scope.SEND: Permission.SEND,
    Scope.OTP: Permission.SEND,
    Scope.WRITE: Permission.SEND,  # the registry, suppressions and contacts pages need `send`
    Scope.WEBHOOKS: Permission.MANAGE_KEYS,
    Scope.CREDITS: Permission.MANAGE_CREDITS,
}

ALL_SCOPES = tuple(Scope.values)

# The choices the key form offers; "full" is every scope the creator may grant.
PRESETS = {
    "full": ALL_SCOPES,
    "send": (Scope.SEND.value,),
    "read": (Scope.READ.value,),
    "otp": (Scope.OTP.value,),
}
PRESET_LABELS = {
    "full": "Full access",
    "send": "Send only",
    "read": "Read only",
    "otp": "OTP only",
    "custom": "Choose scopes",
}


@functools.cache  # called on every API request; roles and their permissions are fixed at import
def role_scopes(role):
    """The scopes a member with `role` may hold (a frozenset of names); None = no member."""
    if role is None:
        return frozenset()
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(s for s, needs in SCOPE_PERMISSION.items() if needs is None or needs in granted)


# A key with no holder was created by the platform for the account (createcustomer, seeds):
# it is bounded like an owner's.
ACCOUNT_KEY_SCOPES = role_scopes(Role.OWNER)


def effective_scopes(key_scopes, holder_role, *, has_holder):
    """min(key scopes, the holder's current role); a holder who is no longer a member: nothing."""
    bound = role_scopes(holder_role) if has_holder else ACCOUNT_KEY_SCOPES
    return frozenset(key_scopes) & bound


def ordered(scopes):
    """Scope names in vocabulary order (for display and storage)."""
    return [s for s in ALL_SCOPES if s in set(scopes)]
