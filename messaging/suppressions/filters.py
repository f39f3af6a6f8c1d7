"""FilterSets shared by the suppression pages and the v2 API (`filter[x]`)."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q

from messaging.consent import canonical_scope
from messaging.suppressions.models import BlockedTemplate, ScopeType, Unsubscriber
from portal.core.phone_numbers import digits_of


def _scope_type(value):
    if canonical_scope(value) not in ScopeType.values:
        raise ValidationError(f"The type must be one of: {', '.join(ScopeType.values)}.")


class UnsubscriberFilterSet(django_filters.FilterSet):
    id = django_filters.UUIDFilter(field_name="uuid")
    iso = django_filters.CharFilter(lookup_expr="iexact")
    receiver = django_filters.CharFilter(method="by_receiver")
    type = django_filters.CharFilter(method="by_type", validators=[_scope_type])
    value = django_filters.CharFilter(lookup_expr="iexact")
    q = django_filters.CharFilter(method="search")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("receiver", "receiver"), ("iso", "iso"), ("type", "type"))
    )

    class Meta:
        model = Unsubscriber
        fields = []

    def by_receiver(self, queryset, name, value):
        return queryset.filter(receiver__startswith=digits_of(value))

    def by_type(self, queryset, name, value):
        return queryset.filter(type=canonical_scope(value))

    def search(self, queryset, name, value):
        digits = digits_of(value)
        q = Q(value__icontains=value)
        if digits.isdigit():
            q |= Q(receiver__contains=digits)
        return queryset.filter(q)


class BlockedTemplateFilterSet(django_filters.FilterSet):
    id = django_filters.UUIDFilter(field_name="uuid")
    template_id = django_filters.CharFilter(lookup_expr="startswith")
    status = django_filters.TypedChoiceFilter(
        field_name="is_active", choices=[("1", "Active"), ("0", "Inactive")], coerce=lambda v: v == "1"
    )

    class Meta:
        model = BlockedTemplate
        fields = []
