"""FilterSets shared by the webhook pages and the v2 API (`filter[x]`)."""

import contextlib
import uuid

import django_filters
from django.db.models import Q

from messaging.webhooks.models import Delivery, DeliveryStatus, Subscription, Webhook
from portal.core.events import registry


class WebhookFilterSet(django_filters.FilterSet):
    # The catalog's example passes a webhook id to filter[name]: both match.
    name = django_filters.CharFilter(method="by_name")
    status = django_filters.TypedChoiceFilter(
        field_name="is_active", choices=[("1", "Active"), ("0", "Inactive")], coerce=lambda v: v == "1"
    )

    class Meta:
        model = Webhook
        fields = []

    def by_name(self, queryset, name, value):
        q = Q(name__icontains=value.strip())
        with contextlib.suppress(ValueError):
            q |= Q(uuid=uuid.UUID(value.strip()))
        return queryset.filter(q)


class SubscriptionFilterSet(django_filters.FilterSet):
    event = django_filters.ChoiceFilter(choices=lambda: registry.choices())
    identity = django_filters.CharFilter(lookup_expr="iexact")
    webhook_id = django_filters.UUIDFilter(field_name="webhook__uuid")

    class Meta:
        model = Subscription
        fields = []


class DeliveryFilterSet(django_filters.FilterSet):
    event = django_filters.ChoiceFilter(field_name="event_type", choices=lambda: registry.choices())
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    webhook = django_filters.UUIDFilter(field_name="webhook__uuid")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Delivery
        fields = []
