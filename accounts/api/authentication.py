"""API authentication: `Authorization: Bearer <key or JWT>` or `?access_token=`."""

import jwt
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiKey
from accounts.services import apikeys, tokens
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


def presented_token(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = presented_token(request)
        if not token:
            return None
        via_jwt = tokens.looks_like_jwt(token)
        key = self._key_from_jwt(token) if via_jwt else apikeys.find_key(token)
        if key is None or not key.is_active or not key.account.is_active:
            raise AuthenticationFailed()
        scopes = apikeys.usable_scopes(key)
        if scopes is None:  # its holder left the account and nobody took the key over
            raise AuthenticationFailed()
        ip = client_ip(request._request)
        if not key.allows_ip(ip):
            raise IpNotAllowed()
        apikeys.mark_used(key, ip)
        principal = ApiPrincipal(key, via_jwt=via_jwt, scopes=scopes)
        request._request.account = key.account
        return principal, key

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
