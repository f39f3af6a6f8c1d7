"""The one permission class of the v2 API: the key must hold the scope the view declares.

Every view states per method what it needs (`required_scopes`, portal.api.scopes); the
authentication has already reduced the key's scopes to what its holder's role allows today
(accounts.scopes), so this check is min(key scopes, holder's role) against the endpoint.
A method without a declaration is refused: a new endpoint is closed until it says what it is.
"""

from rest_framework.permissions import BasePermission

from accounts.api.authentication import ApiPrincipal
from portal.api.scopes import ANY_KEY, required_for


class ApiKeyScopePermission(BasePermission):
    message = "This API key is not allowed to do this."

    def has_permission(self, request, view):
        principal = request.user
        if not isinstance(principal, ApiPrincipal):
            return False  # DRF answers 401 when no key was presented
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 for a verb it does not serve
        needed = required_for(view, request.method)
        if needed is None:
            self.message = "This endpoint declares no key scope for this method."
            return False
        if needed == ANY_KEY or principal.scopes.intersection(needed):
            return True
        self.message = (
            f"This API key is not allowed to do this (it needs the {' or '.join(needed)} scope, "
            "and a holder whose role allows it)."
        )
        return False
