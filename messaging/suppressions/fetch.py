"""Download a customer-supplied file URL without letting it reach private networks (SSRF).

Every hop (the URL and each redirect) must be http(s) on a host whose every address is public
(the checks are portal/core/outbound.py's, shared with webhook delivery); the connection is pinned to
the checked address, so DNS cannot change between check and use.
"""

from urllib.parse import urljoin, urlsplit

import httpx

from portal.core.outbound import Refused as FetchRefused
from portal.core.outbound import public_address

MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def fetch(url, *, max_bytes, client=None):
    """The body of `url` (following up to 3 redirects), at most `max_bytes`."""
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False)
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused("Only http and https URLs can be imported.")
        if parts.username or parts.password:
            raise FetchRefused("URLs with credentials are not accepted.")
        address = public_address(parts.hostname)
        host_for_url = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=f"{host_for_url}:{parts.port}" if parts.port else host_for_url).geturl()
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        with client.stream("GET", pinned, headers=headers, extensions={"sni_hostname": parts.hostname}) as response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("location", ""))
                continue
            if response.status_code != 200:
                raise FetchRefused(f"The URL answered HTTP {response.status_code}.")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchRefused(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
            return bytes(body)
    raise FetchRefused("Too many redirects.")
