"""One exception handler for every v2 endpoint: errors keep the envelope shape."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import set_rollback

from portal.api.errors import IpNotAllowed
from portal.api.parsers import size_text
from portal.api.responses import FAILED, v2_error
from portal.core.errors import DomainError, TooManyRequests

log = logging.getLogger(__name__)

MESSAGES = {
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not Found.",
    405: "Method Not Allowed.",
    429: "Too Many Attempts.",
}


def flatten_errors(detail, prefix=""):
    """DRF's nested error detail as a Laravel-style map: {"nodes.0.to": ["..."]}."""
    out = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        out[prefix or "non_field_errors"] = [str(d) for d in detail]
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            if value:
                out.update(flatten_errors(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def v2_exception_handler(exc, context):
    # An error answer never commits half of the request's writes (ATOMIC_REQUESTS or not).
    set_rollback()
    status_value = getattr(context.get("view"), "error_status", FAILED)
    response = _error_response(exc)
    if response.data.get("status") == FAILED:
        response.data["status"] = status_value
    return response


def _error_response(exc):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    # Django's own body limits (multipart fields, field and file counts) in the envelope.
    if isinstance(exc, RequestDataTooBig):
        limit = size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return v2_error(f"The request fields may not be greater than {limit} in total.", code=413)
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return v2_error(f"The request may not have more than {limit:,} fields.", code=413)
    if isinstance(exc, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return v2_error(f"The request may not have more than {limit:,} files.", code=413)

    if isinstance(exc, DomainError):
        errors = getattr(exc, "errors", None) or (
            {exc.field: [exc.message]} if exc.field and exc.status_code == 422 else None
        )
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return v2_error(exc.message, code=exc.status_code, errors=errors, headers=headers)

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        first = next(iter(errors.values()))[0] if errors else "The given data was invalid."
        return v2_error(first, code=422, errors=errors)

    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return v2_error(MESSAGES[401], code=401, headers={"WWW-Authenticate": 'Bearer realm="api"'})

    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return v2_error(MESSAGES[429], code=429, headers={"Retry-After": str(max(wait, 1))})

    if isinstance(exc, exceptions.MethodNotAllowed):
        return v2_error(MESSAGES[405], code=405)

    if isinstance(exc, exceptions.APIException):
        code = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else None
        default = str(exc.default_detail)  # DRF's defaults are lazy translations, not str
        message = str(detail) if detail and detail != default else MESSAGES.get(code, str(detail or default))
        if isinstance(exc, IpNotAllowed):
            message = str(exc.detail)
        return v2_error(message, code=code)

    log.exception("Unhandled API error", exc_info=exc)
    return v2_error("Server Error", code=500)
