"""API-level refusals raised by the layers above (kept apart from the exception handler, which
imports DRF's views: authentication classes load while DRF's settings do)."""

from rest_framework import exceptions


class IpNotAllowed(exceptions.PermissionDenied):
    """The key is used from an address outside its whitelist (raised by the key authentication)."""

    default_detail = "Access from this IP address is not allowed for this token."
