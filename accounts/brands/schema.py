"""The OpenAPI document in the brand of the host it is read on: its title, its servers, and no
path of a module the brand does not sell (drf-spectacular post-processing hook)."""

from accounts.brands import addresses, current, resolve
from accounts.brands.models import unsold_paths

V2_SUFFIX = "/api/v2/"


def server_urls(brand):
    """Catalogued servers end in /api/v2/ while the document's paths start with it: the server
    URL is the part before. A brand without servers is served on its own domain."""
    urls = [url[: -len(V2_SUFFIX)] if url.endswith(V2_SUFFIX) else url.rstrip("/") for url in brand.api_servers]
    return urls or [addresses.base_url(brand)]


def brand_schema(result, generator, request, public):
    brand = current.get() or resolve.platform_brand()
    result.setdefault("info", {})["title"] = brand.reference_title
    result["servers"] = [{"url": url} for url in server_urls(brand)]
    hidden = unsold_paths(brand)
    if hidden:
        result["paths"] = {path: item for path, item in result.get("paths", {}).items() if not path.startswith(hidden)}
    return result
