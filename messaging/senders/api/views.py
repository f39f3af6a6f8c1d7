"""v2 endpoints: /sms/senders and /sms/templates."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from messaging.senders import services
from messaging.senders.api import schema as S
from messaging.senders.api.serializers import sender_data, template_data
from messaging.senders.filters import SenderFilterSet, TemplateFilterSet
from messaging.senders.models import Sender, Template
from portal.api.filters import apply_filterset
from portal.api.schema import EMPTY_LIST, envelope, error_response, list_parameters, many
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView

SENDER_IN_USE = error_response(
    "Templates still use this sender.", ("In use", 409, "This sender still has templates. Delete them first.")
)


def _data(request):
    data = {key: request.data.get(key) for key in request.data}
    if "document" in request.FILES:
        data["document"] = request.FILES["document"]
    return data


class SenderList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View all senders",
        parameters=list_parameters(SenderFilterSet),
        responses={200: envelope("Senders", many(S.SENDER), paginated=True)},
    )
    def get(self, request):
        qs = Sender.objects.for_account(self.account).select_related("product")
        qs = apply_filterset(SenderFilterSet, request, qs)
        return self.paginated(qs, sender_data, "Senders List")

    @extend_schema(summary="Create sender", request=S.SENDER_CREATE, responses={200: envelope("SenderSaved", S.SENDER)})
    def post(self, request):
        sender = services.create_sender(account=self.account, data=_data(request), request=request._request)
        return self.ok(sender_data(sender, request), "Sender Saved Successfully")


class SenderDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(Sender.objects.select_related("product"), uuid=pk)

    @extend_schema(summary="View sender by id", responses={200: envelope("SenderData", S.SENDER)})
    def get(self, request, pk):
        return self.ok(sender_data(self._get(pk), request), "Sender Data")

    @extend_schema(summary="Edit sender", request=S.SENDER_EDIT, responses={200: envelope("SenderUpdated", S.SENDER)})
    def put(self, request, pk):
        sender = services.update_sender(sender=self._get(pk), data=_data(request), request=request._request)
        return self.ok(sender_data(sender, request), "Sender Updated Successfully")

    @extend_schema(summary="Delete sender", responses={200: envelope("SenderDeleted", EMPTY_LIST), 409: SENDER_IN_USE})
    def delete(self, request, pk):
        services.delete_sender(sender=self._get(pk), request=request._request)
        return self.ok([], "Deleted Successfully")


class TemplateList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View all templates",
        parameters=list_parameters(TemplateFilterSet),
        responses={200: envelope("Templates", many(S.TEMPLATE), paginated=True)},
    )
    def get(self, request):
        qs = Template.objects.for_account(self.account).select_related("sender")
        qs = apply_filterset(TemplateFilterSet, request, qs)
        return self.paginated(qs, template_data, "Templates List")

    @extend_schema(
        summary="Create template", request=S.TEMPLATE_CREATE, responses={200: envelope("TemplateSaved", S.TEMPLATE)}
    )
    def post(self, request):
        template = services.create_template(account=self.account, data=_data(request), request=request._request)
        return self.ok(template_data(template, request), "Template Saved Successfully")


class TemplateDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(Template.objects.select_related("sender"), uuid=pk)

    @extend_schema(summary="View template by id", responses={200: envelope("TemplateData", S.TEMPLATE)})
    def get(self, request, pk):
        return self.ok(template_data(self._get(pk), request), "Template Data")

    @extend_schema(
        summary="Edit template", request=S.TEMPLATE_EDIT, responses={200: envelope("TemplateUpdated", S.TEMPLATE)}
    )
    def put(self, request, pk):
        template = services.update_template(template=self._get(pk), data=_data(request), request=request._request)
        return self.ok(template_data(template, request), "Template Updated Successfully")

    @extend_schema(
        summary="Delete template",
        responses={
            200: envelope("TemplateDeleted", serializers.IntegerField(help_text="Always 1 (as the seeds answer)."))
        },
    )
    def delete(self, request, pk):
        services.delete_template(template=self._get(pk), request=request._request)
        # The seeds answer this delete with data 1 and their own message.
        return self.ok(1, "Template deleted successfully")
