"""`filter[<field>]=value` query parameters, as the v2 contract writes them, for django-filter."""

import re

from django.http import QueryDict

FILTER_PARAM = re.compile(r"^filter\[(?P<name>[\w.]+)\]$")


def filter_params(query_params):
    """The `filter[x]` parameters of a request as a plain QueryDict keyed by `x`."""
    data = QueryDict(mutable=True)
    for key in query_params:
        match = FILTER_PARAM.match(key)
        if match:
            data.setlist(match["name"], query_params.getlist(key))
    return data


def apply_filterset(filterset_class, request, queryset):
    """Filter `queryset` with the page's FilterSet; invalid values raise a 422 naming `filter[x]`."""
    from rest_framework.exceptions import ValidationError

    filterset = filterset_class(filter_params(request.query_params), queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError({f"filter[{k}]": v for k, v in filterset.errors.items()})
    return filterset.qs
