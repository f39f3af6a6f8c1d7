"""v2 endpoints 24–27: /contacts/import/subscribers (list, import, show, delete)."""

from drf_spectacular.utils import extend_schema

from contacts.imports import services
from contacts.imports.api import schema as S
from contacts.imports.filters import ContactImportFilterSet
from contacts.imports.models import ContactImport
from contacts.imports.serializers import import_data
from portal.api.filters import apply_filterset
from portal.api.formats import parse_flag
from portal.api.schema import EMPTY_LIST, envelope, list_parameters, many
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView
from portal.core.errors import ValidationFailed


class SubscriberImportList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="Get all subscriber imports",
        description="Lists the account's contact imports, newest first, each with its status (`inspecting`, "
        "`mapping`, `queued`, `running`, `done`, `failed`, `cancelled`), progress and counts (added, updated, "
        "skipped, failed rows). `filter[status]` and `filter[file_name]` narrow the list.",
        parameters=list_parameters(ContactImportFilterSet),
        responses={200: envelope("ContactImports", many(S.IMPORT), paginated=True)},
    )
    def get(self, request):
        qs = ContactImport.objects.for_account(self.account)
        return self.paginated(apply_filterset(ContactImportFilterSet, request, qs), import_data)

    @extend_schema(
        summary="Import subscribers",
        description="Creates or updates contacts from a file: multipart `file` (txt, csv, xls, xlsx; at most "
        "5 MB) and optional `replace_tags` (1/0: matched contacts' tags become the file's). Columns are "
        "mapped from their headers; the import runs in the background and `n` in the message is the number "
        "of rows accepted for import (a workbook is counted by the job: 0 in the answer, `status: "
        "inspecting`); poll `GET …/{id}` for the outcome. A file without an identity or identifier column, "
        "of another type, too large or empty: 422 on `file`.",
        request={"multipart/form-data": S.IMPORT_BODY},
        responses={200: envelope("ContactImportAccepted", S.IMPORT)},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed({"file": ["The file field is required."]})
        try:
            replace_tags = parse_flag(request.data.get("replace_tags"), default=False)
        except ValueError:
            raise ValidationFailed({"replace_tags": ["The replace tags field must be 1 or 0."]}) from None
        job = services.import_file(
            account=self.account, upload=upload, replace_tags=replace_tags, request=request._request
        )
        return self.ok(import_data(job), f"{job.total} subscriber(s) imported successfully")


class SubscriberImportDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(ContactImport.objects.all(), pk=pk)

    @extend_schema(
        summary="Get subscriber import by ID",
        description="One contact import by its `id` (an integer): poll it for the outcome of `POST "
        "contacts/import/subscribers` (status, progress, counts, the column mapping used, `error` when it "
        "failed). Another account's id: 404.",
        responses={200: envelope("ContactImportData", S.IMPORT)},
    )
    def get(self, request, pk):
        return self.ok(import_data(self._get(pk)))

    @extend_schema(
        summary="Delete import entry",
        description="Removes an import record, its stored file and rejected rows; the contacts it imported "
        "stay. A running import stops at its next chunk. Unknown id: 404.",
        responses={200: envelope("ContactImportDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        services.delete_import(job=self._get(pk), request=request._request)
        return self.ok([], "Import record deleted successfully")
