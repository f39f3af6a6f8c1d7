"""HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617 MD5 with or without
qop=auth): a trunk answers an INVITE or BYE with 401 (WWW-Authenticate) or 407
(Proxy-Authenticate) and the caller sends it again with the computed response."""

import hashlib
import re
import secrets

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')


def parse(header):
    """`Digest realm="x", nonce="y", ...` -> {"realm": "x", "nonce": "y", ...} (scheme checked)."""
    scheme, _, rest = (header or "").strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(rest)}


def _md5(text):
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()  # noqa: S324 - the protocol's hash


def expected(*, username, password, realm, nonce, method, uri, qop="", nc="", cnonce=""):
    ha1 = _md5(f"{username}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    if qop:
        return _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _md5(f"{ha1}:{nonce}:{ha2}")


def authorization(challenge, *, username, password, method, uri, nc=1):
    """The Authorization / Proxy-Authorization value answering `challenge` (parsed)."""
    if challenge.get("algorithm", "MD5").upper() != "MD5":
        raise ValueError(f"unsupported digest algorithm {challenge['algorithm']}")
    qop = "auth" if "auth" in [q.strip() for q in challenge.get("qop", "").split(",")] else ""
    cnonce = secrets.token_hex(8) if qop else ""
    count = f"{nc:08x}" if qop else ""
    realm, nonce = challenge.get("realm", ""), challenge.get("nonce", "")
    response = expected(
        username=username, password=password, realm=realm, nonce=nonce, method=method, uri=uri, qop=qop, nc=count,
        cnonce=cnonce,
    )  # fmt: skip
    parts = [
        f'username="{username}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        "algorithm=MD5",
    ]
    if qop:
        parts += [f"qop={qop}", f"nc={count}", f'cnonce="{cnonce}"']
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    return "Digest " + ", ".join(parts)


def verify(header, *, users, realm, nonces, method):
    """Whether an Authorization header answers one of our `nonces` with a known user's password."""
    given = parse(header)
    password = users.get(given.get("username", ""))
    if password is None or given.get("nonce") not in nonces or given.get("realm") != realm:
        return False
    want = expected(
        username=given["username"], password=password, realm=realm, nonce=given["nonce"], method=method,
        uri=given.get("uri", ""), qop=given.get("qop", ""), nc=given.get("nc", ""), cnonce=given.get("cnonce", ""),
    )  # fmt: skip
    return secrets.compare_digest(want, given.get("response", ""))
