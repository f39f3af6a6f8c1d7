"""FilterSets shared by pages (and the API where it lists the same rows)."""

import django_filters
from django.db.models import Q

from accounts.models import AuditEvent, LedgerEntry, LedgerKind


class AuditEventFilterSet(django_filters.FilterSet):
    action = django_filters.CharFilter()
    q = django_filters.CharFilter(method="search", label="Search")
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="From")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="To")
    account = django_filters.CharFilter(field_name="account__username", label="Account")

    class Meta:
        model = AuditEvent
        fields = ["action"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(actor_email__icontains=value) | Q(target__icontains=value) | Q(ip__startswith=value))


class LedgerEntryFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LedgerKind.choices)
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="From")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="To")

    class Meta:
        model = LedgerEntry
        fields = ["kind"]
