"""Webhooks and subscriptions: the operations pages and the API share."""

import copy
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.services import audit
from messaging.events import SMS_MESSAGE_STATUS
from messaging.webhooks import formats, routing, tasks, worker
from messaging.webhooks.models import BodyFormat, DeliveryStatus, Kind, Method, Subscription, Webhook
from messaging.webhooks.render import is_wrapped
from portal.core import events, text
from portal.core.errors import DomainError, FieldErrors, ValidationFailed
from portal.core.events import registry
from portal.core.events.models import Event
from portal.core.outbound import Refused, check_url
from portal.core.tenancy import get_for_account_or_404

# Who runs a receiver on their own machine needs the switch's name (docs/configuration.md).
LOOPBACK_HINT = (
    "It is a loopback address (this machine): for local development, set "
    "WEBHOOKS_ALLOW_LOOPBACK=true to allow 127.0.0.0/8, ::1 and localhost."
)
IDENTITY = re.compile(r"(all|(sender|number|keyword|flow|link|agent):[\w.@+-]{1,80})\Z")


HEADER_TOKEN = re.compile(r"[\x21-\x7e]+")


def _text(value, field):
    return text.as_text(value, field).strip()


def _status(value, errors, default):
    if value in (None, ""):
        return default
    text = str(value).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    errors.add("status", "The selected status is invalid.")
    return default


def validate_uri(uri, errors, field="uri"):
    if not uri:
        errors.add(field, f"The {field} field is required.")
        return
    if len(uri) > 2000:
        errors.add(field, f"The {field} may not be greater than 2000 characters.")
        return
    try:
        # Names are resolved at connect time, every time (DNS may change); literal addresses and
        # localhost can be refused now.
        check_url(uri.replace("{{", "").replace("}}", ""), allow_loopback=settings.WEBHOOKS_ALLOW_LOOPBACK)
    except Refused as exc:
        message = str(exc)
        if message.startswith("Only http"):
            message = f"The {field} must be a valid URL (http or https)."
        elif exc.loopback:
            message = f"{message} {LOOPBACK_HINT}"
        errors.add(field, message)


def _pairs(rows, field, errors):
    """[[key, value], ...] from a list of pairs or a dict; keys required, at most 30."""
    if rows in (None, ""):
        return []
    items = rows.items() if isinstance(rows, dict) else rows
    out = []
    try:
        for key, value in items:
            key, value = _text(key, field), _text(value, field)
            if key:
                out.append([key[:200], value[:2000]])
    except (TypeError, ValueError):
        errors.add(field, f"The {field} must be a list of key/value pairs.")
        return []
    if len(out) > 30:
        errors.add(field, f"The {field} may not have more than 30 items.")
    return out


def _validated(data, *, existing=None):
    errors = FieldErrors()
    current = (lambda name, default="": getattr(existing, name)) if existing else (lambda name, default="": default)
    name = _text(data.get("name", current("name")), "name")
    uri = _text(data.get("uri", current("uri")), "uri")
    if not name:
        errors.add("name", "The name field is required.")
    elif len(name) > 200:
        errors.add("name", "The name may not be greater than 200 characters.")
    validate_uri(uri, errors)
    secret = _text(data.get("secret", current("secret")), "secret")
    token = data.get("token", data.get("verification_code"))
    token = _text(token, "token") if token is not None or existing is None else None
    for label, value in (("secret", secret), ("token", token or "")):
        if len(value) > 255:  # cut silently, a secret would no longer match the caller's
            errors.add(label, f"The {label} may not be greater than 255 characters.")
    if secret and not HEADER_TOKEN.fullmatch(secret):
        # It travels as `Authorization: Bearer <secret>`: an HTTP header holds visible ASCII only.
        errors.add("secret", "The secret may only contain visible ASCII characters (no spaces).")
    fields = {
        "name": name,
        "uri": uri,
        "secret": secret,
        "is_active": _status(data.get("status"), errors, existing.is_active if existing else True),
    }
    if token is not None:
        fields["token"] = token
    kind = _text(data.get("kind", current("kind", Kind.STANDARD)), "kind") or Kind.STANDARD
    if kind not in Kind.values:
        errors.add("kind", "The selected kind is invalid.")
    fields["kind"] = kind
    if kind == Kind.CUSTOM:
        method = _text(data.get("method", current("method", Method.GET)), "method").upper() or Method.GET
        if method not in Method.values:
            errors.add("method", "The method must be GET, POST or PUT.")
        body_format = (
            _text(data.get("body_format", current("body_format", BodyFormat.RAW)), "body_format") or BodyFormat.RAW
        )
        if body_format not in BodyFormat.values:
            errors.add("body_format", "The body format must be raw or form.")
        fields.update(
            method=method,
            body_format=body_format,
            params=_pairs(data.get("params", current("params", [])), "params", errors),
            headers=_pairs(data.get("headers", current("headers", [])), "headers", errors),
            body=_pairs(data.get("body", current("body", [])), "body", errors),
        )
    else:
        fields.update(method=Method.POST, params=[], headers=[], body=[], body_format=BodyFormat.RAW)
    errors.raise_if_any()
    return fields


def _check_custom_subscriptions(webhook):
    if webhook.kind != Kind.CUSTOM:
        return
    allowed = set(formats.customizable())
    bad = webhook.subscriptions.exclude(event__in=allowed).values_list("event", flat=True)
    if bad:
        raise ValidationFailed(
            {
                "kind": [
                    f"Customized webhooks only receive {', '.join(sorted(allowed))}; remove the {bad[0]} subscription."
                ]
            }
        )


def _after_commit_verify(webhook):
    if webhook.needs_verification:
        transaction.on_commit(lambda: tasks.verify_webhook.delay(webhook.pk))


def create_webhook(*, account, data, actor=None, request=None):
    """Create a webhook (standard unless `kind` is custom). With a `token` it stays unverified,
    and receives nothing, until it answers the verification challenge."""
    fields = _validated(data)
    with transaction.atomic():
        webhook = Webhook.objects.create(account=account, **fields)
        audit.record("webhook.created", account=account, actor=actor, request=request, target=webhook.name)
        _after_commit_verify(webhook)
    return webhook


def update_webhook(*, webhook, data, actor=None, request=None):
    fields = _validated(data, existing=webhook)
    target_changed = fields["uri"] != webhook.uri or fields.get("token", webhook.token) != webhook.token
    for key, value in fields.items():
        setattr(webhook, key, value)
    if target_changed:
        webhook.verified_at = None
        webhook.verification_error = ""
    with transaction.atomic():
        _check_custom_subscriptions(webhook)
        webhook.save()
        audit.record("webhook.updated", account=webhook.account, actor=actor, request=request, target=webhook.name)
        if target_changed:
            _after_commit_verify(webhook)
    return webhook


def delete_webhook(*, webhook, actor=None, request=None):
    """The catalog's soft delete: the webhook becomes inactive (a later status 1 restores it)."""
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(is_active=False, updated_at=timezone.now())
        webhook.refresh_from_db()
        audit.record("webhook.deleted", account=webhook.account, actor=actor, request=request, target=webhook.name)
    return webhook


def set_active(*, webhook, active, actor=None, request=None):
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(is_active=active, updated_at=timezone.now())
        webhook.refresh_from_db()
        audit.record(
            "webhook.restored" if active else "webhook.deactivated",
            account=webhook.account,
            actor=actor,
            request=request,
            target=webhook.name,
        )
    return webhook


# ---- subscriptions --------------------------------------------------------------------------


def _webhook_of(account, value):
    try:
        return get_for_account_or_404(Webhook, account, uuid=_text(value, "webhook_id"))
    except Http404:
        return None


def create_subscription(*, account, data, actor=None, request=None):
    """Bind an event (for `all` sources or one) to a webhook; an identical subscription already
    there is returned unchanged."""
    errors = FieldErrors()
    event = _text(data.get("event"), "event")
    identity = _text(data.get("identity"), "identity")
    webhook_id = _text(data.get("webhook_id"), "webhook_id")
    if not event:
        errors.add("event", "The event field is required.")
    elif event not in registry.subscribable():
        errors.add("event", "The selected event is invalid.")
    if not identity:
        errors.add("identity", "The identity field is required.")
    elif not IDENTITY.match(identity):
        errors.add("identity", "The identity must be all or <kind>:<id> (sender:, number:, keyword:).")
    webhook = None
    if not webhook_id:
        errors.add("webhook_id", "The webhook id field is required.")
    else:
        webhook = _webhook_of(account, webhook_id)
        if webhook is None:
            errors.add("webhook_id", "The selected webhook id is invalid.")
    if webhook is not None and webhook.kind == Kind.CUSTOM and event and event not in formats.customizable():
        errors.add("event", "Customized webhooks only receive " + ", ".join(formats.customizable()) + ".")
    errors.raise_if_any()
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscription, created = Subscription.objects.get_or_create(
                    account=account, event=event, identity=identity, webhook=webhook
                )
        except IntegrityError:
            subscription, created = (
                Subscription.objects.get(account=account, event=event, identity=identity, webhook=webhook),
                False,
            )
        if created:
            audit.record(
                "webhook.subscribed", account=account, actor=actor, request=request, target=f"{event} {identity}"
            )
    return subscription


def delete_subscription(*, subscription, actor=None, request=None):
    with transaction.atomic():
        subscription.delete()
        audit.record(
            "webhook.unsubscribed",
            account=subscription.account,
            actor=actor,
            request=request,
            target=f"{subscription.event} {subscription.identity}",
        )


# ---- test events, replays, verification -----------------------------------------------------


def receives_wrapped(webhook, event_type):
    """The body shape this webhook gets for `event_type` in real traffic: what its subscription to
    the event delivers, or, not subscribed, what a send naming it by `webhook_id` delivers (SMS and
    voice statuses are flat there, wrapped for subscriptions; formats.py)."""
    subscribed = webhook.subscriptions.filter(event=event_type).exists()
    return is_wrapped(event_type, by_webhook_id=not subscribed)


def send_test_event(*, webhook, event_type=SMS_MESSAGE_STATUS, actor=None, request=None):
    """Send the catalogued example of `event_type` to this webhook only (not to subscriptions),
    in the shape its real traffic for that event has. The delivery is written now, so the page
    shows it queued at once; the event is recorded as already fanned out."""
    try:
        example = formats.of(event_type).example
    except events.UnknownEvent:
        raise DomainError("Choose one of the listed events.", field="event") from None
    if not webhook.is_active:
        raise DomainError("This webhook is inactive. Activate it before sending a test event.")
    if webhook.kind == Kind.CUSTOM and event_type not in formats.customizable():
        raise DomainError("Customized webhooks only receive " + ", ".join(formats.customizable()) + ".")
    with transaction.atomic():
        event = events.emit(
            account=webhook.account,
            type=event_type,
            payload=copy.deepcopy(example),
            webhook_id=str(webhook.uuid),
        )
        now = timezone.now()
        Event.objects.filter(pk=event.pk).update(processed_at=now)
        delivery = routing.delivery_to(event, webhook, wrapped=receives_wrapped(webhook, event_type), now=now)
        delivery.save()
        audit.record("webhook.tested", account=webhook.account, actor=actor, request=request, target=webhook.name)
        _deliver_soon()
    event.delivery = delivery
    return event


def replay(*, account, deliveries, actor=None, request=None):
    """Send failed deliveries again (a fresh attempt budget each); others are left alone."""
    with transaction.atomic():
        count = worker.replay(deliveries=[d for d in deliveries if d.account_id == account.pk])
        if count:
            audit.record("webhook.replayed", account=account, actor=actor, request=request, target=f"{count}")
            _deliver_soon()
    return count


def replay_failed(*, account, queryset, actor=None, request=None):
    """Replay every failed delivery of `queryset` (already filtered by the caller), at most 10,000."""
    rows = list(queryset.filter(account=account, status=DeliveryStatus.FAILED)[:10_000])
    return replay(account=account, deliveries=rows, actor=actor, request=request)


def _deliver_soon():
    transaction.on_commit(lambda: tasks.deliver_webhooks.delay(seconds=10))
