from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers

from messaging.pricing.filters import PriceFilterSet
from messaging.pricing.services import rate_card
from portal.api.filters import apply_filterset
from portal.api.formats import resource_time
from portal.api.schema import envelope, list_parameters, many
from portal.api.scopes import Scope
from portal.api.views import V2APIView


def price_data(row, request=None):
    return {
        "iso": row.iso,
        "country_name": row.country_name,
        "calling_code": row.calling_code,
        "sale_price": f"{row.sale_price:.4f}",
        "service": row.product.code,
        "service_name": row.product.display_name,
        "currency": row.currency,
        "status": int(row.is_active),
        "created_at": resource_time(row.created_at),
        "updated_at": resource_time(row.updated_at),
    }


PRICE = inline_serializer(
    name="Price",
    fields={
        "iso": serializers.CharField(),
        "country_name": serializers.CharField(),
        "calling_code": serializers.IntegerField(allow_null=True),
        "sale_price": serializers.CharField(help_text="Decimal with 4 places, e.g. `0.1500`"),
        "service": serializers.CharField(),
        "service_name": serializers.CharField(),
        "currency": serializers.CharField(),
        "status": serializers.IntegerField(help_text="1 active, 0 inactive"),
        "created_at": serializers.CharField(allow_null=True),
        "updated_at": serializers.CharField(allow_null=True),
    },
)


class PricingList(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="View pricing",
        description="The account's SMS rate card: per country (`iso`) and service, the `sale_price` of one "
        "part in `currency`, with `status` 1 for a price in use. The account's own prices, plus the default "
        "prices it does not override. `filter[status]` takes 1 or 0 (another value: 422).",
        parameters=list_parameters(PriceFilterSet),
        responses={200: envelope("Pricing", many(PRICE), paginated=True)},
    )
    def get(self, request):
        qs = apply_filterset(PriceFilterSet, request, rate_card(self.account).order_by("iso", "product__code"))
        return self.paginated(qs, price_data, "Pricing List")
