"""Account endpoints of the v2 API: auth/me, bearer tokens, balance, add credits."""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response

from accounts import products
from accounts.api.serializers import (
    AddCreditsSerializer,
    BalanceItemSerializer,
    BearerTokenSerializer,
    MeSerializer,
    account_payload,
)
from accounts.services import credits, tokens
from portal.api.idempotency import idempotency_header, request_fingerprint
from portal.api.schema import (
    ERRORS,
    FORBIDDEN,
    IDEMPOTENCY_KEY,
    UNAUTHENTICATED,
    UNPROCESSABLE,
    envelope,
    error_response,
)
from portal.api.scopes import ANY_KEY, Scope
from portal.api.views import V2APIView

TOKEN_EXAMPLE = OpenApiExample(
    "Bearer token",
    value={"access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9…", "token_type": "bearer", "expires_in": 3600},
    response_only=True,
)
TOKEN_401 = error_response(
    "The credential is not valid here: `generate` needs the API key, `refresh` a bearer token that has not "
    "expired; the key behind either must be active.",
    ("Unauthenticated", 401, "Unauthenticated."),
)


class MeView(V2APIView):
    required_scopes = {"GET": ANY_KEY}

    @extend_schema(
        summary="Get authenticated account",
        description="The account the key belongs to (id, name, username, e-mail, mobile, whether it is a "
        "reseller and its parent, the enabled service codes, its requests-per-minute limit) and the key "
        "itself: name, prefix, expiry, IP whitelist and the scopes it has now (its own, within its holder's "
        "current role). Any valid key may call it, whatever its scopes.",
        responses={200: envelope("AuthMe", MeSerializer()), 401: UNAUTHENTICATED, 403: FORBIDDEN, 429: ERRORS[429]},
        examples=[
            OpenApiExample(
                "Account",
                value={
                    "status": "OK",
                    "code": 200,
                    "message": "OK",
                    "data": {
                        "id": "3f1c7f0e-5d7a-4a43-9a57-0d7c1d8e2b11",
                        "name": "Shop Ltd",
                        "username": "shop-ltd",
                        "email": "owner@shop.example",
                        "mobile": "14155550101",
                        "is_reseller": 0,
                        "parent": None,
                        "services": ["G", "P", "S", "T"],
                        "rate_limit": 1000,
                        "token": {
                            "name": "Production",
                            "prefix": "pk_AbCdEfG",
                            "expires_at": None,
                            "ip_whitelist": [],
                            "scopes": ["read", "send", "otp", "write", "webhooks", "credits"],
                        },
                        "created_at": "2022-10-19T07:40:13.000000Z",
                    },
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return self.ok(account_payload(self.account, request.auth, request.user.scopes))


def _token_response(request):
    response = Response(tokens.issue(request.auth, issuer=request.build_absolute_uri(request.path)))
    add_never_cache_headers(response)  # a credential: no proxy or browser may keep it
    response["Pragma"] = "no-cache"
    return response


class TokenGenerateView(V2APIView):
    """Exchange the long-lived API key for a short-lived bearer token (no envelope)."""

    required_scopes = {"GET": ANY_KEY}

    @extend_schema(
        summary="Generate bearer token",
        description="Exchanges the API key (sent as bearer) for a short-lived bearer token: a signed JWT, "
        "valid for `expires_in` seconds, that works wherever the key does, with the key's scopes and "
        "whitelist, and dies with the key. The answer has no envelope. A bearer token cannot mint another "
        "(401): refresh it instead.",
        responses={200: BearerTokenSerializer, 401: TOKEN_401, 403: FORBIDDEN, 429: ERRORS[429]},
        examples=[TOKEN_EXAMPLE],
    )
    def get(self, request):
        if request.user.via_jwt:
            raise AuthenticationFailed()  # a JWT must be refreshed, not used to mint another
        return _token_response(request)


class TokenRefreshView(V2APIView):
    required_scopes = {"GET": ANY_KEY}

    @extend_schema(
        summary="Refresh bearer token",
        description="Sends the current, unexpired bearer token (not the API key) as bearer and answers a "
        "new token with a new `expires_in`; the answer has no envelope. The API key, an expired token or "
        "one whose key was revoked is a 401.",
        responses={200: BearerTokenSerializer, 401: TOKEN_401, 403: FORBIDDEN, 429: ERRORS[429]},
        examples=[TOKEN_EXAMPLE],
    )
    def get(self, request):
        if not request.user.via_jwt:
            raise AuthenticationFailed()
        return _token_response(request)


GENERAL_WALLET = "General credits"


class BalanceView(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="Check account balance",
        description="The general wallet (`service` empty), which pays for all services, then one item "
        "per enabled service: its own wallet if it has one, else the general wallet's balance (what "
        "that service can spend). Items may repeat one balance: do not add them up.",
        responses={
            200: envelope("Balance", BalanceItemSerializer(many=True)),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            429: ERRORS[429],
        },
        examples=[
            OpenApiExample(
                "Balance",
                value={
                    "status": "OK",
                    "code": 200,
                    "message": "OK",
                    "data": [{"service": "", "name": GENERAL_WALLET, "postpaid": 0, "credits": 69.0, "charges": 0}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        general = credits.get_wallet(self.account)  # every account shows at least its general wallet
        wallets = {w.product_code: w for w in self.account.wallets.all()}
        # Plugins read the item of the service they send on (`service == "T"`): an enabled product
        # without a wallet of its own spends the general wallet, so its item shows that balance.
        codes = sorted((set(wallets) | set(products.directory().enabled_codes(self.account))) - {""})
        names = products.directory().display_names(codes)
        data = [_balance_item("", GENERAL_WALLET, general)]
        data += [_balance_item(code, names.get(code, code), wallets.get(code, general)) for code in codes]
        return self.ok(data, "OK")


class LegacyBalanceView(BalanceView):
    """`account/balance`: the balance's older path, still called by the OpenCart and WP SMS plugins."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)


def _balance_item(code, name, wallet):
    return {
        "service": code,
        "name": name,
        "postpaid": int(wallet.postpaid),
        "credits": float(wallet.balance),
        "charges": 0,
    }


class AddCreditsView(V2APIView):
    required_scopes = {"POST": Scope.CREDITS}

    @extend_schema(
        summary="Add credits to customer",
        description="Called with the key of a reseller account: moves credits from its general wallet to "
        "the general wallet of one of its child accounts (`username`), both ledger entries in one "
        "transaction. Needs the `credits` scope. With an `Idempotency-Key` a retried request moves nothing "
        "twice (the same key with another request is a 409). Not a reseller, or not its child: 403; an "
        "unknown username or too few credits: 422.",
        request=AddCreditsSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: envelope("CreditsAdded", with_code=False, with_data=False),
            401: UNAUTHENTICATED,
            403: error_response(
                "The caller is not a reseller, the customer is not its child, or the IP is not whitelisted.",
                ("Not a reseller", 403, "Only reseller accounts can add credits to customers."),
                ("Not a child", 403, "This customer does not belong to your account."),
                ("IP not whitelisted", 403, "Access from this IP address is not allowed for this token."),
            ),
            422: OpenApiResponse(
                UNPROCESSABLE.response,
                description="A field is missing or invalid, or the reseller's balance is too low.",
                examples=[
                    OpenApiExample(
                        "Missing field",
                        value={
                            "status": "failed",
                            "code": 422,
                            "message": "The credits field is required.",
                            "errors": {"credits": ["The credits field is required."]},
                        },
                        response_only=True,
                    ),
                    OpenApiExample(
                        "Insufficient credits",
                        value={
                            "status": "failed",
                            "code": 422,
                            "message": "Insufficient credits.",
                            "errors": {"credits": ["Insufficient credits."]},
                        },
                        response_only=True,
                    ),
                ],
            ),
            429: ERRORS[429],
        },
        examples=[
            OpenApiExample(
                "Add credits",
                value={"username": "shop-ltd", "credits": "2.34", "service": "", "notes": "Invoice 1001"},
                request_only=True,
            ),
            OpenApiExample(
                "Added", value={"status": "OK", "message": "Balance added Successfully"}, response_only=True
            ),
        ],
    )
    def post(self, request):
        serializer = AddCreditsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = idempotency_header(request)
        # `service` is validated but credits land in the general wallet: every charge is taken from it.
        credits.transfer_to_child(
            parent=self.account,
            child_username=data["username"],
            amount=data["credits"],
            notes=data["notes"],
            order_id=data["order_id"],
            actor=request.user.holder,
            api_key=request.auth,
            idempotency_key=key,
            request_hash=request_fingerprint(request) if key else "",
            request=request._request,
        )
        return self.ok(message="Balance added Successfully", include_code=False, include_data=False)
