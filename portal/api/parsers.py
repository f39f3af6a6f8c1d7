"""The v2 body parsers: every JSON, form and multipart body is bounded and cleaned here, once.

- Size: a body larger than the view's limit is a 413 before a byte of it is read
  (`API_MAX_BODY_BYTES`; a view may name a larger setting in `body_limit_setting`, as
  `sms/send/json` does; multipart bodies, which carry files, are bounded by `MAX_UPLOAD_BYTES`).
- Shape: JSON that is not an object, or nests deeper than `portal.core.text.MAX_DEPTH`, is a 400,
  like any malformed JSON.
- Text: a NUL or an unpaired surrogate anywhere in the body (keys included) is a 422 naming
  every such field (`portal.core.text`), before the view runs.

The JSON and form parsers read the request stream themselves (they are not DRF's subclasses, which
DRF would hand `request.body`, bounded by Django's one global limit instead of the view's).
"""

import json

from django.conf import settings
from django.http import QueryDict
from rest_framework import renderers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.parsers import MultiPartParser as DRFMultiPartParser
from rest_framework.utils.json import strict_constant

from portal.core import text
from portal.core.errors import ValidationFailed

MiB = 1024 * 1024


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def size_text(limit):
    return f"{limit // MiB} MB" if limit >= MiB and limit % MiB == 0 else f"{limit:,} bytes"


def too_large(limit):
    return PayloadTooLarge(f"The request body may not be greater than {size_text(limit)}.")


def body_limit(parser_context):
    view = (parser_context or {}).get("view")
    return getattr(settings, getattr(view, "body_limit_setting", "API_MAX_BODY_BYTES"))


def content_length(parser_context):
    meta = parser_context["request"].META
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def read_body(stream, parser_context):
    """The raw body, refused with a 413 from its Content-Length when over the view's limit."""
    limit = body_limit(parser_context)
    if content_length(parser_context) > limit:
        raise too_large(limit)
    raw = stream.read(limit + 1)
    if len(raw) > limit:  # a stream that carried more than it announced
        raise too_large(limit)
    return raw


def refuse_unsafe(errors):
    if errors:
        raise ValidationFailed(errors)


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        raw = read_body(stream, parser_context)
        suspect = text.json_may_hold_unsafe(raw)
        utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8")
        try:
            # Bytes in UTF-8 go to the decoder as they are: no second copy of a large body.
            source = raw if utf8 else raw.decode(encoding)
            data = json.loads(source, parse_constant=strict_constant)
        except RecursionError:
            raise ParseError(f"JSON parse error - {text.TooDeep()}") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            # The depth off the text when it is UTF-8 (a few passes in C), else off the data.
            if utf8:
                text.check_json_depth(raw)
            else:
                text.check_depth(data)
        except text.TooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        del raw, source
        if not isinstance(data, dict):
            # Every v2 body is an object; handlers read fields with .get().
            raise ParseError("JSON parse error - The body must be a JSON object.")
        if suspect:
            refuse_unsafe(text.refusals(data))
        return data


class FormParser(BaseParser):
    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        data = QueryDict(read_body(stream, parser_context), encoding=encoding)
        refuse_unsafe(text.pair_refusals((k, v) for k, values in data.lists() for v in values))
        return data


class MultiPartParser(DRFMultiPartParser):
    """Files stream to disk, so the bound is the largest upload the portal takes (plus the form);
    Django's own limits hold for the other fields (DATA_UPLOAD_MAX_MEMORY_SIZE, field counts).
    File names need no check: Django drops their non-printable characters."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        if content_length(parser_context) > settings.MAX_UPLOAD_BYTES:
            raise too_large(settings.MAX_UPLOAD_BYTES)
        parsed = super().parse(stream, media_type, parser_context)
        refuse_unsafe(text.pair_refusals((k, v) for k, values in parsed.data.lists() for v in values))
        return parsed
