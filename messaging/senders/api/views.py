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
        description="Lists the account's sender IDs with their service, country, DLT entity and review "
        "`status` (0 pending, 1 approved, 2 rejected); only approved senders can send or carry templates. "
        "`filter[name]` matches part of the name; 15 a page unless `per_page` says otherwise.",
        parameters=list_parameters(SenderFilterSet),
        responses={200: envelope("Senders", many(S.SENDER), paginated=True)},
    )
    def get(self, request):
        qs = Sender.objects.for_account(self.account).select_related("product")
        qs = apply_filterset(SenderFilterSet, request, qs)
        return self.paginated(qs, sender_data, "Senders List")

    @extend_schema(
        summary="Create sender",
        description="Applies for a sender ID on a service and country (`country_code`); it starts pending "
        "(`status` 0) until staff approve it. Indian DLT senders are 6 letters (transactional, service) or 6 "
        "digits (promotional) and, where the account's catalogue has DLT fields, need `entity_id` (12 to 19 "
        "digits) and `entity_name`; elsewhere a sender is up to 11 letters and digits or 15 digits. A proof "
        "`document` (pdf, png, jpg; 5 MB) is sent as multipart. A name the account already has on that "
        "service, an unknown service or country: 422.",
        request=S.SENDER_CREATE,
        responses={200: envelope("SenderSaved", S.SENDER)},
    )
    def post(self, request):
        sender = services.create_sender(account=self.account, data=_data(request), request=request._request)
        return self.ok(sender_data(sender, request), "Sender Saved Successfully")


class SenderDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(Sender.objects.select_related("product"), uuid=pk)

    @extend_schema(
        summary="View sender by id",
        description="One sender ID of the account by its `id` (UUID), with its review status and the "
        "staff's note (`message`). Another account's id, or no such sender: 404.",
        responses={200: envelope("SenderData", S.SENDER)},
    )
    def get(self, request, pk):
        return self.ok(sender_data(self._get(pk), request), "Sender Data")

    @extend_schema(
        summary="Edit sender",
        description="Changes a sender's country, service, DLT entity or document; only the fields sent change. "
        "Every edit sends the sender back to review (`status` 0): it cannot send until staff approve it again. "
        "An approved sender keeps its name (renaming it is a 422: apply for a new one); invalid fields: 422.",
        request=S.SENDER_EDIT,
        responses={200: envelope("SenderUpdated", S.SENDER)},
    )
    def put(self, request, pk):
        sender = services.update_sender(sender=self._get(pk), data=_data(request), request=request._request)
        return self.ok(sender_data(sender, request), "Sender Updated Successfully")

    @extend_schema(
        summary="Delete sender",
        description="Deletes a sender ID of the account. A sender still used by templates is a 409: delete "
        "its templates first. Unknown id: 404.",
        responses={200: envelope("SenderDeleted", EMPTY_LIST), 409: SENDER_IN_USE},
    )
    def delete(self, request, pk):
        services.delete_sender(sender=self._get(pk), request=request._request)
        return self.ok([], "Deleted Successfully")


class TemplateList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View all templates",
        description="Lists the account's SMS content templates with their sender, DLT template id, type and "
        "review `status`; `alias` is what `sms/send/template` names. `filter[name]` matches the name or the "
        "DLT template id.",
        parameters=list_parameters(TemplateFilterSet),
        responses={200: envelope("Templates", many(S.TEMPLATE), paginated=True)},
    )
    def get(self, request):
        qs = Template.objects.for_account(self.account).select_related("sender")
        qs = apply_filterset(TemplateFilterSet, request, qs)
        return self.paginated(qs, template_data, "Templates List")

    @extend_schema(
        summary="Create template",
        description="Registers a content template on an approved sender of the account (`sender`: its UUID or "
        "name). The `body` holds variables as `{{name}}` (letters and digits, each distinct). Where the "
        "account's catalogue has DLT fields, `type` (T, P, SI, SE) is required and a template on an Indian "
        "DLT sender needs its 19-digit DLT `template_id`, unique in the account; without them `type` is "
        "optional (Transactional) and no DLT id is taken. The template starts pending until staff approve "
        "it. A sender that is unknown or not approved, a bad body, type or DLT id: 422.",
        request=S.TEMPLATE_CREATE,
        responses={200: envelope("TemplateSaved", S.TEMPLATE)},
    )
    def post(self, request):
        template = services.create_template(account=self.account, data=_data(request), request=request._request)
        return self.ok(template_data(template, request), "Template Saved Successfully")


class TemplateDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(Template.objects.select_related("sender"), uuid=pk)

    @extend_schema(
        summary="View template by id",
        description="One template of the account by its `id` (UUID). Another account's id, or no such template: 404.",
        responses={200: envelope("TemplateData", S.TEMPLATE)},
    )
    def get(self, request, pk):
        return self.ok(template_data(self._get(pk), request), "Template Data")

    @extend_schema(
        summary="Edit template",
        description="Changes a template's name, body, type, DLT id or sender; only the fields sent change "
        "(without DLT fields in the account's catalogue, `type` is required here). A new name gives a new "
        "`alias`. Every edit sends the template back to review: it cannot be sent until approved again. "
        "Invalid fields: 422.",
        request=S.TEMPLATE_EDIT,
        responses={200: envelope("TemplateUpdated", S.TEMPLATE)},
    )
    def put(self, request, pk):
        template = services.update_template(template=self._get(pk), data=_data(request), request=request._request)
        return self.ok(template_data(template, request), "Template Updated Successfully")

    @extend_schema(
        summary="Delete template",
        description="Deletes a template of the account; later template sends naming it are refused. Answers "
        "`data: 1`, as the catalogue does. Unknown id: 404.",
        responses={
            200: envelope("TemplateDeleted", serializers.IntegerField(help_text="Always 1 (as the seeds answer)."))
        },
    )
    def delete(self, request, pk):
        services.delete_template(template=self._get(pk), request=request._request)
        # The seeds answer this delete with data 1 and their own message.
        return self.ok(1, "Template deleted successfully")
