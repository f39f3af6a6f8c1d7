"""The import list's filters, shared by the imports page and the v2 API (`filter[status]`)."""

import django_filters

from contacts.imports.models import ContactImport, ImportStatus


class ContactImportFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices)
    file_name = django_filters.CharFilter(field_name="filename", lookup_expr="icontains")

    class Meta:
        model = ContactImport
        fields = []
