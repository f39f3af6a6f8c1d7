"""Account endpoints of the v2 API: auth/me, bearer tokens, balance, add credits."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response

from accounts.api.serializers import AddCreditsSerializer, account_payload
from accounts.services import credits, tokens
from portal.api.schema import ERRORS, envelope
from portal.api.views import V2APIView

TOKEN = inline_serializer(
    name="BearerToken",
    fields={
        "access_token": serializers.CharField(),
        "token_type": serializers.CharField(default="bearer"),
        "expires_in": serializers.IntegerField(default=3600),
    },
)
BALANCE_ITEM = inline_serializer(
    name="BalanceItem",
    fields={
        "service": serializers.CharField(),
        "name": serializers.CharField(),
        "postpaid": serializers.IntegerField(),
        "credits": serializers.FloatField(),
        "charges": serializers.FloatField(),
    },
)


class MeView(V2APIView):
    @extend_schema(summary="Get authenticated account", responses={200: envelope("Me"), **ERRORS})
    def get(self, request):
        return self.ok(account_payload(self.account, request.auth))


class TokenGenerateView(V2APIView):
    """Exchange the long-lived API key for a short-lived bearer token (no envelope)."""

    @extend_schema(summary="Generate bearer token", responses={200: TOKEN, 401: ERRORS[401]})
    def get(self, request):
        if request.user.via_jwt:
            raise AuthenticationFailed()  # a JWT must be refreshed, not used to mint another
        return Response(tokens.issue(request.auth, issuer=request.build_absolute_uri(request.path)))


class TokenRefreshView(V2APIView):
    @extend_schema(summary="Refresh bearer token", responses={200: TOKEN, 401: ERRORS[401]})
    def get(self, request):
        if not request.user.via_jwt:
            raise AuthenticationFailed()
        return Response(tokens.issue(request.auth, issuer=request.build_absolute_uri(request.path)))


class BalanceView(V2APIView):
    @extend_schema(
        summary="Check account balance",
        responses={200: envelope("Balance", serializers.ListField(child=BALANCE_ITEM)), **ERRORS},
    )
    def get(self, request):
        credits.get_wallet(self.account)  # every account shows at least its general wallet
        wallets = self.account.wallets.order_by("service")
        data = [
            {
                "service": w.service,
                "name": "General credits" if not w.service else w.service,
                "postpaid": int(w.postpaid),
                "credits": float(w.balance),
                "charges": 0,
            }
            for w in wallets
        ]
        return self.ok(data, "OK")


class AddCreditsView(V2APIView):
    @extend_schema(
        summary="Add credits to customer",
        request=AddCreditsSerializer,
        responses={200: envelope("CreditsAdded", with_code=False, with_data=False), **ERRORS},
    )
    def post(self, request):
        serializer = AddCreditsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        credits.transfer_to_child(
            parent=self.account,
            child_username=data["username"],
            amount=data["credits"],
            service=data["service"],
            notes=data["notes"],
            order_id=data["order_id"],
            request=request._request,
        )
        return self.ok(message="Balance added Successfully", include_code=False, include_data=False)
