"""Logos and favicons: raster images only, recognised by their first bytes.

SVG is refused rather than sanitised: an SVG is a document that can carry script, event
handlers, external references and CSS, and a sanitiser that misses one form is a stored XSS on
every brand page. Raster formats carry no code; they are served with their own type, `nosniff`
and a sandboxing CSP (views.py) all the same.
"""

from portal.core.errors import DomainError

MAX_BYTES = 256 * 1024
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\x00\x00\x01\x00", "image/x-icon"),
)


def sniff(data):
    """The content type of a supported raster image, or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def read_image(upload, field):
    """(bytes, content type) of an uploaded logo or favicon; DomainError naming `field`."""
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(f"The {field} may not be larger than 256 KB.", field=field)
    content_type = sniff(data)
    if content_type is None:
        head = data[:512].lstrip().lower()
        if head.startswith(b"<") or b"<svg" in head:
            raise DomainError(
                f"SVG images are refused as a {field} (they can carry script): upload a PNG, JPEG, GIF or WebP.",
                field=field,
            )
        raise DomainError(f"The {field} must be a PNG, JPEG, GIF, WebP or ICO image.", field=field)
    return data, content_type
