import django_filters

from messaging.pricing.models import Price


class PriceFilterSet(django_filters.FilterSet):
    iso = django_filters.CharFilter(lookup_expr="iexact")
    service = django_filters.CharFilter(field_name="product__code", lookup_expr="iexact")
    subservice = django_filters.CharFilter(field_name="sub_service", lookup_expr="iexact")
    status = django_filters.TypedChoiceFilter(
        field_name="is_active", choices=[("1", "Active"), ("0", "Inactive")], coerce=lambda v: v == "1"
    )

    class Meta:
        model = Price
        fields = []
