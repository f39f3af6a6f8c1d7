from drf_spectacular.utils import extend_schema

from messaging.pricing.filters import PriceFilterSet
from messaging.pricing.services import rate_card
from portal.api.filters import apply_filterset
from portal.api.formats import resource_time
from portal.api.schema import ERRORS, envelope
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


class PricingList(V2APIView):
    required_scopes = {"GET": Scope.READ}

    @extend_schema(summary="View pricing", responses={200: envelope("Pricing"), **ERRORS})
    def get(self, request):
        qs = apply_filterset(PriceFilterSet, request, rate_card(self.account).order_by("iso", "product__code"))
        return self.paginated(qs, price_data, "Pricing List")
