"""Customer pages: webhooks, subscriptions, the delivery log (with replay) and the list of event types."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.permissions import account_required
from messaging.webhooks import formats, services, verification
from messaging.webhooks.filters import DeliveryFilterSet, SubscriptionFilterSet, WebhookFilterSet
from messaging.webhooks.forms import SubscriptionForm, TestEventForm, WebhookForm
from messaging.webhooks.models import OPEN_STATUSES, Delivery, DeliveryStatus, Subscription, Webhook
from messaging.webhooks.render import is_wrapped
from portal.core.errors import DomainError
from portal.core.events import registry
from portal.core.tenancy import get_for_account_or_404, is_uuid
from portal.pages import list_page, save_dialog


def _webhooks(request):
    return Webhook.objects.for_account(request.account)


@never_cache  # shows a secret: no browser or proxy may keep it
@account_required()
def webhook_list(request):
    return list_page(
        request,
        _webhooks(request),
        WebhookFilterSet,
        "webhooks/webhook_list.html",
        "webhooks/partials/webhook_table.html",
    )


@never_cache  # shows a secret: no browser or proxy may keep it
@account_required("manage_keys")
def webhook_create(request):
    form = WebhookForm(request.POST or None)
    return save_dialog(
        request,
        form,
        lambda data: services.create_webhook(
            account=request.account, data=form.service_data(), actor=request.user, request=request
        ),
        success=lambda w: f"Webhook {w.name} created. Send it a test event from its page.",
        list_url="webhooks:webhook_list",
        template="webhook_form",
    )


def _recent(webhook):
    """The page's recent deliveries, and whether one is still on its way (the list polls then)."""
    recent = list(webhook.deliveries.all()[:10])
    return {"recent": recent, "recent_open": any(d.status in OPEN_STATUSES for d in recent)}


def _subscriptions(webhook):
    rows = list(webhook.subscriptions.all()[:50])
    for s in rows:
        s.wrapped = is_wrapped(s.event, by_webhook_id=False)
    return rows


@never_cache  # shows a secret: no browser or proxy may keep it
@account_required("manage_keys")
def webhook_edit(request, pk):
    webhook = get_for_account_or_404(_webhooks(request), request.account, uuid=pk)
    if request.htmx and request.method == "GET" and request.GET.get("part") == "recent":
        return render(request, "webhooks/partials/recent_deliveries.html", {"webhook": webhook, **_recent(webhook)})
    form = WebhookForm(request.POST or None, initial=WebhookForm.initial_for(webhook), editing=True)
    return save_dialog(
        request,
        form,
        lambda data: services.update_webhook(
            webhook=webhook, data=form.service_data(), actor=request.user, request=request
        ),
        success=lambda w: f"Webhook {w.name} saved.",
        list_url="webhooks:webhook_list",
        template="webhook_form",
        webhook=webhook,
        test_form=TestEventForm(webhook=webhook),
        subscriptions=_subscriptions(webhook),
        **_recent(webhook),
    )


@account_required("manage_keys")
@require_POST
def webhook_toggle(request, pk):
    webhook = get_for_account_or_404(_webhooks(request), request.account, uuid=pk)
    services.set_active(webhook=webhook, active=not webhook.is_active, actor=request.user, request=request)
    messages.success(request, f"Webhook {webhook.name} is now {'active' if webhook.is_active else 'inactive'}.")
    return redirect("webhooks:webhook_list")


@account_required("manage_keys")
@require_POST
def webhook_test(request, pk):
    """Send a test event; HTMX gets a short result fragment, others a redirect with a message."""
    webhook = get_for_account_or_404(_webhooks(request), request.account, uuid=pk)
    form = TestEventForm(request.POST, webhook=webhook)
    ctx = {"webhook": webhook}
    if not form.is_valid():
        ctx["error"] = "Choose one of the listed events."
    else:
        try:
            event = services.send_test_event(
                webhook=webhook, event_type=form.cleaned_data["event"], actor=request.user, request=request
            )
        except DomainError as exc:
            ctx["error"] = exc.message
        else:
            subscribed = webhook.subscriptions.filter(event=event.type).exists()
            ctx.update(event=event, subscribed=subscribed, **_recent(webhook))
    if request.htmx:
        return render(request, "webhooks/partials/test_result.html", ctx, status=422 if "error" in ctx else 200)
    if "error" in ctx:
        messages.error(request, ctx["error"])
    else:
        shape = "wrapped as {event, payload}" if ctx["event"].delivery.wrapped else "as the flat payload"
        messages.success(request, f"Test event {ctx['event'].type} queued, {shape}, like this webhook's real traffic.")
    return redirect("webhooks:webhook_edit", pk=webhook.uuid)


@account_required("manage_keys")
@require_POST
def webhook_verify(request, pk):
    webhook = get_for_account_or_404(_webhooks(request), request.account, uuid=pk)
    if not webhook.token:
        messages.error(request, "This webhook has no verification token.")
    elif verification.verify(webhook=webhook):
        messages.success(request, f"{webhook.uri} answered the challenge: verified.")
    else:
        messages.error(request, f"Not verified: {webhook.verification_error}")
    return redirect("webhooks:webhook_edit", pk=webhook.uuid)


# ---- subscriptions --------------------------------------------------------------------------


@account_required()
def subscription_list(request):
    qs = Subscription.objects.for_account(request.account).select_related("webhook")
    return list_page(
        request,
        qs,
        SubscriptionFilterSet,
        "webhooks/subscription_list.html",
        "webhooks/partials/subscription_table.html",
        events=registry.choices(),
    )


@account_required("manage_keys")
def subscription_create(request):
    form = SubscriptionForm(request.POST or None, account=request.account, initial=request.GET.dict() or None)
    return save_dialog(
        request,
        form,
        lambda data: services.create_subscription(
            account=request.account, data=data, actor=request.user, request=request
        ),
        success=lambda s: f"{s.webhook.name} now receives {s.event} for {s.identity}.",
        list_url="webhooks:subscription_list",
        template="subscription_form",
    )


@account_required("manage_keys")
@require_POST
def subscription_delete(request, pk):
    subscription = get_for_account_or_404(Subscription, request.account, pk=pk)
    services.delete_subscription(subscription=subscription, actor=request.user, request=request)
    messages.success(request, f"Subscription to {subscription.event} removed.")
    return redirect("webhooks:subscription_list")


# ---- delivery log ---------------------------------------------------------------------------


def _deliveries(request):
    return Delivery.objects.for_account(request.account).select_related("webhook")


@account_required()
def delivery_list(request):
    return list_page(
        request,
        _deliveries(request),
        DeliveryFilterSet,
        "webhooks/delivery_list.html",
        "webhooks/partials/delivery_table.html",
        events=registry.choices(),
        statuses=DeliveryStatus.choices,
        webhooks=_webhooks(request),
    )


@account_required()
def delivery_detail(request, pk):
    delivery = get_for_account_or_404(_deliveries(request).select_related("event"), request.account, uuid=pk)
    attempts = list(delivery.attempt_log.all())
    for a in attempts:
        a.request_headers_text = "\n".join(f"{k}: {v}" for k, v in a.request_headers.items())
        a.response_headers_text = "\n".join(f"{k}: {v}" for k, v in a.response_headers.items())
        a.request_body_pretty = _pretty(a.request_body)
        a.response_body_pretty = _pretty(a.response_body)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": attempts,
            "payload": json.dumps(delivery.event.payload, indent=2, ensure_ascii=False),
        },
    )


def _pretty(text):
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text


@account_required("manage_keys")
@require_POST
def delivery_replay(request):
    """Replay the ticked deliveries, or (`all`) every failed one matching the log's filters."""
    if request.POST.get("all"):
        filterset = DeliveryFilterSet(request.POST, queryset=_deliveries(request))
        count = services.replay_failed(
            account=request.account,
            queryset=filterset.qs if filterset.is_valid() else Delivery.objects.none(),
            actor=request.user,
            request=request,
        )
    else:
        ids = request.POST.getlist("ids")
        rows = _deliveries(request).filter(uuid__in=[i for i in ids if is_uuid(i)])
        count = services.replay(account=request.account, deliveries=list(rows), actor=request.user, request=request)
    if count:
        messages.success(request, f"{count} failed deliver{'y' if count == 1 else 'ies'} queued again.")
    else:
        messages.warning(request, "Nothing to replay: only failed deliveries can be replayed.")
    back = request.POST.get("next") or ""
    return redirect(back if back.startswith("/developer/") else "webhooks:delivery_list")


@account_required()
def event_types(request):
    rows = []
    for e in registry.all():
        fmt = formats.of(e.name)
        body = {"event": e.name, "payload": fmt.example} if fmt.form != formats.FLAT else fmt.example
        rows.append({"type": e, "format": fmt, "example": json.dumps(body, indent=2, ensure_ascii=False)})
    return render(request, "webhooks/event_types.html", {"rows": rows})
