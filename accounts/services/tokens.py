"""Short-lived bearer tokens (JWT) exchanged for an API key, as the v3 token endpoints do.

The catalog's examples are RS256; we sign with HS256 and a key derived from SECRET_KEY, which
clients cannot tell apart (they treat the token as opaque and honour `expires_in`).
"""

import hashlib
import time
import uuid

import jwt
from django.conf import settings

ALGORITHM = "HS256"


def _signing_key():
    return hashlib.sha256(b"api-bearer-token:" + settings.SECRET_KEY.encode()).hexdigest()


def looks_like_jwt(token):
    return token.count(".") == 2 and token.startswith("eyJ")


def issue(api_key, *, issuer):
    now = int(time.time())
    ttl = settings.API_TOKEN_TTL_SECONDS
    claims = {
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "sub": str(api_key.uuid),
        # Binds the token to the key's current hash: a rotated or replaced key voids its tokens.
        "prv": key_fingerprint(api_key),
    }
    token = jwt.encode(claims, _signing_key(), algorithm=ALGORITHM)
    return {"access_token": token, "token_type": "bearer", "expires_in": ttl}


def decode(token):
    """Claims of a valid, unexpired token; raises jwt.InvalidTokenError otherwise."""
    return jwt.decode(token, _signing_key(), algorithms=[ALGORITHM], options={"require": ["exp", "sub", "prv"]})


def key_fingerprint(api_key):
    return hashlib.sha256(b"prv:" + api_key.key_hash.encode()).hexdigest()[:40]
