"""API authentication: the key (or a JWT) wherever published v2 clients put it: `Authorization:
Bearer <key>`, a bare `Authorization: <key>`, `?access_token=`, or `access_token` in a form,
multipart or JSON body (docs/api.md, "Published clients")."""

import jwt
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.brands.resolve import admits
from accounts.models import ApiKey
from accounts.services import apikeys, tokens
from portal.api import throttling
from portal.api.errors import IpNotAllowed
from portal.core.net import client_ip


class ApiPrincipal:
    """The caller of an API request: an account acting through one key, for the key's holder
    (the member whose role bounds it; None for a platform key), with the scopes usable now."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False

    def __init__(self, api_key, via_jwt=False, scopes=frozenset()):
        self.api_key = api_key
        self.account = api_key.account
        self.holder = api_key.holder
        self.scopes = frozenset(scopes)
        self.via_jwt = via_jwt
        self.pk = self.id = f"key:{api_key.pk}"

    def __str__(self):
        return f"api-key {self.api_key.prefix}"


BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def presented_token(request):
    """The header wins over the query string, which wins over the body."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if header and not value and scheme.lower() != "bearer":
        return header  # no scheme at all: the vendor's Python and Ruby SDKs send the bare key
    return request.query_params.get("access_token") or _body_token(request)


def _body_token(request):
    """`access_token` as a form, multipart or JSON field (the .NET SDK, CRM plugins)."""
    if request.method not in BODY_METHODS:
        return None
    # A body that cannot be read raises here (400 bad JSON, 415): with no other credential, the
    # body is the client's first problem, and it may be where its key is.
    data = request.data
    value = data.get("access_token") if hasattr(data, "get") else None
    return value.strip() if isinstance(value, str) and value.strip() else None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = presented_token(request)
        if not token:
            return None
        via_jwt = tokens.looks_like_jwt(token)
        if via_jwt:
            key = self._key_from_jwt(token)
        else:
            # The account's rules version, read with the key (the request's send rules use it
            # too), and the request counted against the key's rate limit in the same round trip.
            key, version = apikeys.find_key_cached(token, counting=throttling.key_counter)
            request._request.rules_version = version
        try:
            ip, scopes = self._check(request, key)
        except (AuthenticationFailed, IpNotAllowed):
            throttling.give_back(key)
            raise
        apikeys.mark_used(key, ip)
        principal = ApiPrincipal(key, via_jwt=via_jwt, scopes=scopes)
        request._request.account = key.account
        return principal, key

    @staticmethod
    def _check(request, key):
        """The key may be used here and now (active, this brand's, a holder still a member, the
        caller's address whitelisted); returns the caller's address and the scopes usable now."""
        if key is None or not key.is_active or not key.account.is_active:
            raise AuthenticationFailed()
        if not admits(getattr(request._request, "brand", None), key.account):
            # Another brand's key on this brand's host: unknown here, as any wrong key.
            raise AuthenticationFailed()
        scopes = apikeys.usable_scopes(key)
        if scopes is None:  # its holder left the account and nobody took the key over
            raise AuthenticationFailed()
        ip = client_ip(request._request)
        if not key.allows_ip(ip):
            raise IpNotAllowed()
        return ip, scopes

    def _key_from_jwt(self, token):
        try:
            claims = tokens.decode(token)
            key = apikeys.with_holder_role(ApiKey.objects.filter(uuid=claims["sub"])).first()
        except (jwt.InvalidTokenError, DjangoValidationError):  # bad signature, expired, `sub` not a uuid
            return None
        if key is None or claims.get("prv") != tokens.key_fingerprint(key):
            return None
        return key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
