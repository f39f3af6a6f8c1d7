"""Base class for every v2 endpoint: envelope helpers, rate-limit headers, declared scopes."""

from rest_framework.views import APIView

from portal.api import throttling
from portal.api.pagination import V2Pagination
from portal.api.request import V2Request
from portal.api.responses import v2_response
from portal.api.schema import V2AutoSchema
from portal.api.scopes import check_declaration
from portal.core import text
from portal.core.errors import ValidationFailed
from portal.core.tenancy import get_for_account_or_404


class V2APIView(APIView):
    schema = V2AutoSchema()
    # The setting that bounds this endpoint's JSON and form bodies (portal/api/parsers.py).
    body_limit_setting = "API_MAX_BODY_BYTES"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Query strings get the body's text rule (portal.core.text), after authentication and
        # throttling, before the handler reads a parameter.
        params = request.query_params
        refused = text.pair_refusals((k, v) for k, values in params.lists() for v in values)
        if refused:
            raise ValidationFailed(refused)

    def permission_denied(self, request, message=None, code=None):
        # Refused before the throttle: the request authentication counted is not counted.
        throttling.give_back(getattr(request, "auth", None))
        super().permission_denied(request, message=message, code=code)

    # Per HTTP method, the key scope the request needs (portal.api.scopes); checked by the one
    # permission class every view uses. A method left out is refused, never open.
    required_scopes = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        check_declaration(cls.__qualname__, cls.required_scopes)

    # The `status` of this endpoint's error answers (docs/api.md: the classic send says "ERROR").
    error_status = "failed"

    def initialize_request(self, request, *args, **kwargs):
        return V2Request(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        limit = getattr(request._request, "rate_limit", None)
        if limit:
            response["X-RateLimit-Limit"] = str(limit[0])
            response["X-RateLimit-Remaining"] = str(limit[1])
        return response

    @property
    def account(self):
        return self.request.user.account

    def ok(self, data=None, message="OK", **kwargs):
        return v2_response(data, message, **kwargs)

    def paginated(self, queryset, serializer_class, message="OK"):
        """A page of `queryset`; `serializer_class` is a DRF serializer or a function(obj, request)."""
        paginator = V2Pagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        if isinstance(serializer_class, type):
            data = serializer_class(page, many=True, context={"request": self.request}).data
        else:
            data = [serializer_class(obj, self.request) for obj in page]
        return paginator.get_paginated_response(data, message)

    def get_for_account(self, queryset, **lookup):
        """One of the caller's objects, or the 404 envelope (also for malformed ids)."""
        return get_for_account_or_404(queryset, self.account, **lookup)
