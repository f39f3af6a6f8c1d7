"""A test-only URLconf: small endpoints that exercise the shared v2 machinery."""

from django.urls import include, path
from rest_framework import serializers

from accounts.models import AuditEvent, LedgerEntry
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView
from portal.core.errors import Conflict


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "action"]


class EventList(V2APIView):
    required_scopes = {"GET": Scope.READ}

    def get(self, request):
        qs = AuditEvent.objects.for_account(self.account).order_by("id")
        return self.paginated(qs, EventSerializer, "Events List")


def ledger_row(entry, request):
    return {"amount": str(entry.amount), "balance_after": str(entry.balance_after), "kind": entry.kind}


class LedgerList(V2APIView):
    required_scopes = {"GET": Scope.READ}

    def get(self, request):
        qs = LedgerEntry.objects.for_account(self.account).order_by("id")
        return self.paginated(qs, ledger_row, "Ledger List")


class Item(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def get(self, request, pk):
        return self.ok({"pk": pk, "method": "GET"}, "Item Data")

    def put(self, request, pk):
        return self.ok({"pk": pk, "method": "PUT", "body": request.data.get("name")}, "Item Updated")

    def patch(self, request, pk):
        return self.ok({"pk": pk, "method": "PATCH", "body": request.data.get("name")}, "Item Updated")

    def delete(self, request, pk):
        return self.ok([], "Deleted Successfully")


class Strict(V2APIView):
    required_scopes = {"POST": Scope.WRITE}

    class Input(serializers.Serializer):
        name = serializers.CharField()
        count = serializers.IntegerField(min_value=1)
        nodes = serializers.ListField(child=serializers.DictField(child=serializers.CharField()), required=False)

    def post(self, request):
        self.Input(data=request.data).is_valid(raise_exception=True)
        return self.ok([], "Saved")


class Boom(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def get(self, request):
        raise RuntimeError("a bug")

    def post(self, request):
        raise Conflict("This sender still has templates. Delete them first.")


urlpatterns = [
    path("api/v2/test/events", EventList.as_view()),
    path("api/v2/test/ledger", LedgerList.as_view()),
    path("api/v2/test/items/<int:pk>", Item.as_view()),
    path("api/v2/test/strict", Strict.as_view()),
    path("api/v2/test/boom", Boom.as_view()),
    path("", include("portal.urls")),
]
