"""v2 endpoints: /developer/webhooks and /developer/subscriptions."""

from drf_spectacular.utils import extend_schema

from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import services
from messaging.webhooks.api import schema as S
from messaging.webhooks.filters import SubscriptionFilterSet, WebhookFilterSet
from messaging.webhooks.models import Subscription, Webhook
from portal.api.filters import apply_filterset
from portal.api.formats import resource_time
from portal.api.schema import EMPTY_LIST, envelope, list_parameters, many
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView

MASK = "*****"


def webhook_data(w, request=None):
    return {
        "id": str(w.uuid),
        "name": w.name,
        "uri": w.uri,
        "secret": MASK if w.secret else None,
        "verification_code": MASK if w.token else None,
        "status": int(w.is_active),
        "created_at": resource_time(w.created_at),
        "updated_at": resource_time(w.updated_at),
    }


def subscription_data(s, request=None):
    return {
        "id": s.pk,
        "event": s.event,
        "identity": s.identity,
        "payload": s.payload if s.payload is not None else None,
        "webhook_id": str(s.webhook.uuid),
        "created_at": resource_time(s.created_at),
    }


def _data(request):
    return {key: request.data.get(key) for key in request.data}


class WebhookList(V2APIView):
    required_scopes = reads_and(Scope.WEBHOOKS)

    @extend_schema(
        summary="View all webhooks",
        parameters=list_parameters(WebhookFilterSet),
        responses={200: envelope("Webhooks", many(S.WEBHOOK), paginated=True)},
    )
    def get(self, request):
        qs = apply_filterset(WebhookFilterSet, request, Webhook.objects.for_account(self.account))
        return self.paginated(qs, webhook_data, "OK")

    @extend_schema(
        summary="Create webhook", request=S.WEBHOOK_BODY, responses={200: envelope("WebhookCreated", S.WEBHOOK)}
    )
    def post(self, request):
        data = _data(request)
        data.pop("kind", None)  # customized webhooks are composed in the portal
        webhook = services.create_webhook(account=self.account, data=data, request=request._request)
        return self.ok(webhook_data(webhook), "Created Successfully")


class WebhookDetail(V2APIView):
    required_scopes = reads_and(Scope.WEBHOOKS)

    def _get(self, pk):
        return self.get_for_account(Webhook.objects.all(), uuid=pk)

    @extend_schema(summary="View webhook by id", responses={200: envelope("WebhookData", S.WEBHOOK)})
    def get(self, request, pk):
        return self.ok(webhook_data(self._get(pk)), "OK")

    @extend_schema(
        summary="Update webhook", request=S.WEBHOOK_EDIT, responses={200: envelope("WebhookUpdated", S.WEBHOOK)}
    )
    def put(self, request, pk):
        webhook = self._get(pk)
        data = _data(request)
        data.pop("kind", None)
        # The catalog makes name and uri required on update.
        for field in ("name", "uri"):
            data.setdefault(field, "")
        webhook = services.update_webhook(webhook=webhook, data=data, request=request._request)
        return self.ok(webhook_data(webhook), "Updated Successfully")

    @extend_schema(summary="Delete webhook (soft)", responses={200: envelope("WebhookDeleted", EMPTY_LIST)})
    def delete(self, request, pk):
        services.delete_webhook(webhook=self._get(pk), request=request._request)
        return self.ok([], "Deleted Successfully")


class WebhookTest(V2APIView):
    required_scopes = {"POST": Scope.WEBHOOKS}

    @extend_schema(
        summary="Send a test event to a webhook",
        request=S.WEBHOOK_TEST_BODY,
        responses={200: envelope("WebhookTested", S.WEBHOOK_TESTED)},
    )
    def post(self, request, pk):
        webhook = self.get_for_account(Webhook.objects.all(), uuid=pk)
        event_type = str(request.data.get("event") or SMS_MESSAGE_STATUS)
        event = services.send_test_event(webhook=webhook, event_type=event_type, request=request._request)
        return self.ok({"event": event.type, "id": str(event.uuid)}, "Scheduled successfully.")


class SubscriptionList(V2APIView):
    required_scopes = reads_and(Scope.WEBHOOKS)

    @extend_schema(
        summary="List all subscriptions",
        parameters=list_parameters(SubscriptionFilterSet),
        responses={200: envelope("Subscriptions", many(S.SUBSCRIPTION), paginated=True)},
    )
    def get(self, request):
        qs = Subscription.objects.for_account(self.account).select_related("webhook")
        qs = apply_filterset(SubscriptionFilterSet, request, qs)
        return self.paginated(qs, subscription_data, "Subscriptions List")

    @extend_schema(
        summary="Create subscription",
        request=S.SUBSCRIPTION_BODY,
        responses={200: envelope("SubscriptionSaved", S.SUBSCRIPTION)},
    )
    def post(self, request):
        subscription = services.create_subscription(account=self.account, data=_data(request), request=request._request)
        return self.ok(subscription_data(subscription), "Subscription Saved Successfully")


class SubscriptionDetail(V2APIView):
    required_scopes = reads_and(Scope.WEBHOOKS)

    def _get(self, pk):
        return self.get_for_account(Subscription.objects.select_related("webhook"), pk=pk)

    @extend_schema(summary="View subscription by id", responses={200: envelope("SubscriptionData", S.SUBSCRIPTION)})
    def get(self, request, pk):
        return self.ok(subscription_data(self._get(pk)), "Subscription")

    @extend_schema(summary="Delete subscription", responses={200: envelope("SubscriptionDeleted", EMPTY_LIST)})
    def delete(self, request, pk):
        services.delete_subscription(subscription=self._get(pk), request=request._request)
        return self.ok([], "Subscription Deleted Successfully")
