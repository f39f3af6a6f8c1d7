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
        description="Lists the account's webhooks (deleted ones too, with `status` 0). `secret` and "
        "`verification_code` show `*****` when set, never their value. `filter[name]` matches part of the "
        "name or the exact id.",
        parameters=list_parameters(WebhookFilterSet),
        responses={200: envelope("Webhooks", many(S.WEBHOOK), paginated=True)},
    )
    def get(self, request):
        qs = apply_filterset(WebhookFilterSet, request, Webhook.objects.for_account(self.account))
        return self.paginated(qs, webhook_data, "OK")

    @extend_schema(
        summary="Create webhook",
        description="Adds an address events are POSTed to (`uri`: http or https, no credentials, not a private "
        "or reserved address, at most 2,000 characters), signed with a `Signature` header. A `secret` is "
        "sent as `Authorization: Bearer <secret>` on every delivery (visible ASCII, no spaces); with a `token` "
        "the address first gets a verification challenge and receives nothing until it answers it. Events "
        "reach it through subscriptions or a send's `webhook_id`. Invalid fields: 422.",
        request=S.WEBHOOK_BODY,
        responses={200: envelope("WebhookCreated", S.WEBHOOK)},
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

    @extend_schema(
        summary="View webhook by id",
        description="One webhook of the account by its `id` (UUID), secrets masked. Another account's id, or "
        "no such webhook: 404.",
        responses={200: envelope("WebhookData", S.WEBHOOK)},
    )
    def get(self, request, pk):
        return self.ok(webhook_data(self._get(pk)), "OK")

    @extend_schema(
        summary="Update webhook",
        description="Changes a webhook: `name` and `uri` are required; `secret`, `status` and `token` keep "
        "their value when absent. A new `uri` or `token` needs a new verification. `status` 1 restores a "
        "deleted webhook. Invalid fields: 422.",
        request=S.WEBHOOK_EDIT,
        responses={200: envelope("WebhookUpdated", S.WEBHOOK)},
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

    @extend_schema(
        summary="Delete webhook (soft)",
        description="Deactivates a webhook (`status` 0): it stays readable but receives nothing (events naming "
        "it are dropped, subscriptions to it skipped) until an update sets `status` 1 again.",
        responses={200: envelope("WebhookDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        services.delete_webhook(webhook=self._get(pk), request=request._request)
        return self.ok([], "Deleted Successfully")


class WebhookTest(V2APIView):
    required_scopes = {"POST": Scope.WEBHOOKS}

    @extend_schema(
        summary="Send a test event to a webhook",
        description="Queues the catalogued example of an `event` (default `sms:message:status`) to this "
        "webhook only, in the shape its real traffic for that event has; the delivery shows in the delivery "
        "log at once. An unknown event, an inactive webhook, or an event a customized webhook does not take: "
        "422.",
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
        description="Lists the account's event subscriptions: which `event` goes to which webhook, for which "
        "`identity` (`all`, or `<kind>:<value>` such as `sender:DEMORT` or `number:9198…`). "
        "`filter[event]`, `filter[identity]` and `filter[webhook_id]` narrow the list.",
        parameters=list_parameters(SubscriptionFilterSet),
        responses={200: envelope("Subscriptions", many(S.SUBSCRIPTION), paginated=True)},
    )
    def get(self, request):
        qs = Subscription.objects.for_account(self.account).select_related("webhook")
        qs = apply_filterset(SubscriptionFilterSet, request, qs)
        return self.paginated(qs, subscription_data, "Subscriptions List")

    @extend_schema(
        summary="Create subscription",
        description="Subscribes one of the account's webhooks (`webhook_id`) to an `event` (any catalogued name, "
        "e.g. `sms:message:status`, `whatsapp:message:in`, `voice:message:out`) for an `identity` (`all` or "
        "`<kind>:<value>`, kinds sender, number, keyword, flow, link, agent). Subscribing again answers the "
        "existing subscription. An unknown event, a bad identity or another account's webhook: 422.",
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

    @extend_schema(
        summary="View subscription by id",
        description="One event subscription of the account by its `id` (an integer). Another account's id, or "
        "no such subscription: 404.",
        responses={200: envelope("SubscriptionData", S.SUBSCRIPTION)},
    )
    def get(self, request, pk):
        return self.ok(subscription_data(self._get(pk)), "Subscription")

    @extend_schema(
        summary="Delete subscription",
        description="Removes an event subscription: that event no longer reaches the webhook through it (the "
        "webhook stays). Unknown id: 404.",
        responses={200: envelope("SubscriptionDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        services.delete_subscription(subscription=self._get(pk), request=request._request)
        return self.ok([], "Subscription Deleted Successfully")
