"""The contacts page's filters: the shared ContactFilterSet plus the page's identifier-kind and
subscription-state selects."""

import django_filters
from django.db.models import Exists, OuterRef

from contacts.filters import ContactFilterSet
from contacts.models import Identifier, IdentifierType, Subscription, SubscriptionChannel, SubscriptionStatus
from contacts.services.subscriptions import CHANNEL_TYPES

STATES = [
    (f"{state}:{channel}", f"{label} {channel_label}")
    for channel, channel_label in SubscriptionChannel.choices
    for state, label in (("subscribed", "Subscribed to"), ("unsubscribed", "Unsubscribed from"))
]


class ContactPageFilterSet(ContactFilterSet):
    kind = django_filters.ChoiceFilter(choices=IdentifierType.choices, method="by_kind", label="Has identifier")
    subscription = django_filters.ChoiceFilter(choices=STATES, method="by_subscription", label="Subscription")

    def by_kind(self, queryset, name, value):
        return queryset.filter(Exists(Identifier.objects.filter(contact=OuterRef("pk"), type=value)))

    def by_subscription(self, queryset, name, value):
        """Subscribed: reachable on the channel (an identifier of a fitting type) and not opted out
        there; contacts without a subscription row count as subscribed, as the send path treats them."""
        state, channel = value.split(":", 1)
        opted_out = Subscription.objects.filter(
            contact=OuterRef("pk"), channel=channel, status=SubscriptionStatus.UNSUBSCRIBED
        )
        if state == "unsubscribed":
            return queryset.filter(Exists(opted_out))
        reachable = Identifier.objects.filter(contact=OuterRef("pk"), type__in=list(CHANNEL_TYPES[channel]))
        return queryset.filter(Exists(reachable)).exclude(Exists(opted_out))
