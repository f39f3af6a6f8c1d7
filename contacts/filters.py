"""FilterSets shared by the contacts pages and the v2 API (`filter[x]`)."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q

from contacts.models import Contact, ContactTag, Identifier, Segment, Subscription, SubscriptionStatus, Tag
from contacts.services.contacts import canonical_type
from contacts.services.segments import MAX_TAG_LIST, segment_q
from portal.core.phone_numbers import digits_of


def _tag_list(value):
    if len([n for n in value.split(",") if n.strip()]) > MAX_TAG_LIST:
        raise ValidationError(f"Name at most {MAX_TAG_LIST} tags.")


class ContactFilterSet(django_filters.FilterSet):
    """`q` searches identity, names, company and identifier values; the others narrow the list."""

    q = django_filters.CharFilter(method="search")
    identity = django_filters.CharFilter(lookup_expr="iexact")
    phone = django_filters.CharFilter(method="by_phone")
    email = django_filters.CharFilter(method="by_email")
    tag = django_filters.CharFilter(method="by_tag", validators=[_tag_list])
    segment = django_filters.NumberFilter(method="by_segment")
    unsubscribed = django_filters.CharFilter(method="by_unsubscribed")
    country = django_filters.CharFilter(lookup_expr="iexact")
    city = django_filters.CharFilter(lookup_expr="iexact")
    created_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    ordering = django_filters.OrderingFilter(
        fields=(("id", "id"), ("created_at", "created"), ("identity", "identity"), ("last_name", "last_name"))
    )

    class Meta:
        model = Contact
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = (
            Q(identity__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(company__icontains=value)
        )
        ids = Identifier.objects.filter(contact=OuterRef("pk"))
        digits = digits_of(value)
        q |= Q(Exists(ids.filter(value__icontains=value.lower())))
        if digits.isdigit() and digits != value:
            q |= Q(Exists(ids.filter(value__contains=digits)))
        return queryset.filter(q)

    def by_phone(self, queryset, name, value):
        ids = Identifier.objects.filter(contact=OuterRef("pk"), type="phone", value__startswith=digits_of(value))
        return queryset.filter(Exists(ids))

    def by_email(self, queryset, name, value):
        ids = Identifier.objects.filter(contact=OuterRef("pk"), type="email", value__iexact=value.strip())
        return queryset.filter(Exists(ids))

    def by_tag(self, queryset, name, value):
        names = [n.strip() for n in value.split(",") if n.strip()]
        links = ContactTag.objects.filter(contact=OuterRef("pk"))
        ids = [int(n) for n in names if n.isdigit()]
        return queryset.filter(Exists(links.filter(Q(tag__name__in=names) | Q(tag_id__in=ids))))

    def by_segment(self, queryset, name, value):
        # Pages and the API both set request.account (session middleware / key authentication).
        segment = Segment.objects.for_account(getattr(self.request, "account", None)).filter(pk=value).first()
        return queryset.filter(segment_q(segment)) if segment else queryset.none()

    def by_unsubscribed(self, queryset, name, value):
        """`unsubscribed=sms` (a channel) or `unsubscribed=any`."""
        subs = Subscription.objects.filter(contact=OuterRef("pk"), status=SubscriptionStatus.UNSUBSCRIBED)
        if value.strip().lower() not in ("", "any", "1", "true"):
            subs = subs.filter(channel=value.strip().lower())
        return queryset.filter(Exists(subs))


class IdentifierFilterSet(django_filters.FilterSet):
    type = django_filters.CharFilter(method="by_type")
    value = django_filters.CharFilter(lookup_expr="icontains")
    contact = django_filters.NumberFilter(field_name="contact_id")

    class Meta:
        model = Identifier
        fields = []

    def by_type(self, queryset, name, value):
        return queryset.filter(type=canonical_type(value))


class TagFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Tag
        fields = []


class SegmentFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    type = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Segment
        fields = []
