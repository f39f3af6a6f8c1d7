"""FilterSets for senders and templates, shared by the pages and the v2 API (`filter[x]`)."""

import django_filters
from django.db.models import Q

from messaging.senders.models import ReviewStatus, Sender, Template, TemplateType

SENDER_ORDERING = {
    "name": "name",
    "-name": "-name",
    "created": "created_at",
    "-created": "-created_at",
    "status": "status",
    "-status": "-status",
}
TEMPLATE_ORDERING = {**SENDER_ORDERING, "type": "type", "-type": "-type"}


class _Ordered(django_filters.FilterSet):
    ordering_map = {}
    ordering = django_filters.CharFilter(method="order")

    def order(self, queryset, name, value):
        return queryset.order_by(self.ordering_map.get(value, "-created_at"), "-id")


class SenderFilterSet(_Ordered):
    ordering_map = SENDER_ORDERING
    id = django_filters.UUIDFilter(field_name="uuid")
    name = django_filters.CharFilter(lookup_expr="icontains")
    status = django_filters.TypedChoiceFilter(choices=ReviewStatus.choices, coerce=int)
    service = django_filters.CharFilter(field_name="product__code", lookup_expr="iexact")
    iso = django_filters.CharFilter(lookup_expr="iexact")
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Sender
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(entity_name__icontains=value) | Q(entity_id=value))


class TemplateFilterSet(_Ordered):
    ordering_map = TEMPLATE_ORDERING
    id = django_filters.UUIDFilter(field_name="uuid")
    name = django_filters.CharFilter(method="name_or_id")
    alias = django_filters.CharFilter()
    template_id = django_filters.CharFilter()
    sender = django_filters.CharFilter(field_name="sender__name", lookup_expr="iexact")
    status = django_filters.TypedChoiceFilter(choices=ReviewStatus.choices, coerce=int)
    type = django_filters.ChoiceFilter(choices=TemplateType.choices)
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Template
        fields = []

    def name_or_id(self, queryset, name, value):
        # The catalog's example passes a DLT template id in filter[name]: accept both.
        return queryset.filter(Q(name__icontains=value) | Q(template_id=value))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(body__icontains=value) | Q(template_id=value) | Q(alias__icontains=value)
        )
