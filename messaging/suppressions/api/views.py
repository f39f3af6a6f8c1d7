"""v2 endpoints: /sms/suppressions/unsubscribers and /sms/suppressions/templates. The unsubscriber
views serve every channel's list (`channel`; WhatsApp's are mounted under /whatsapp/suppressions/)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema

from messaging import consent
from messaging.suppressions import importers, services
from messaging.suppressions.api import schema as S
from messaging.suppressions.filters import BlockedTemplateFilterSet, UnsubscriberFilterSet
from messaging.suppressions.models import BlockedTemplate, Channel, ImportJob, ImportKind, Unsubscriber
from portal.api.filters import apply_filterset
from portal.api.formats import resource_time
from portal.api.schema import EMPTY_LIST, envelope, list_parameters, many
from portal.api.scopes import Scope, reads_and
from portal.api.views import V2APIView
from portal.core import text
from portal.core.errors import ValidationFailed


def unsubscriber_data(u, request=None):
    return {
        "id": str(u.uuid),
        "iso": u.iso,
        "receiver": u.receiver,
        "type": u.type,
        "value": u.value,
        "created_at": resource_time(u.created_at),
        "updated_at": resource_time(u.updated_at),
    }


def blocked_data(b, request=None):
    return {
        "id": str(b.uuid),
        "template_id": b.template_id,
        "status": int(b.is_active),
        "created_at": resource_time(b.created_at),
        "updated_at": resource_time(b.updated_at),
    }


def import_job_data(job, request=None):
    """An import job as `GET …/suppressions/imports/{id}` shows it (not catalogued; docs/api.md)."""
    return {
        "id": str(job.uuid),
        "kind": job.kind,
        "status": job.status,
        "file_name": job.filename,
        "url": job.source_url or None,
        "format": job.file_format,
        "total": job.total,
        "processed": job.processed,
        "added": job.added,
        "duplicates": job.duplicates,
        "invalid": job.invalid,
        "rejected": job.rejected_sample[:100],
        "error": job.error or None,
        "created_at": resource_time(job.created_at),
        "started_at": resource_time(job.started_at),
        "finished_at": resource_time(job.finished_at),
    }


def _data(request):
    return {key: request.data.get(key) for key in request.data}


def _accepted(view, job, message, **options):
    """The catalogued answer, with the job's address in `Location` (where its outcome shows)."""
    response = view.ok(message=message, **options)
    response["Location"] = reverse("sms-suppression-import", kwargs={"pk": job.uuid})
    return response


class UnsubscriberList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)
    channel = Channel.SMS  # the voice routes (outgoing/suppressions/...) use the subclasses below

    @extend_schema(
        summary="View all unsubscribers",
        description="Lists the numbers opted out of {channel} messages on this account, each with its scope: "
        "`type` `all` (value `*`: every message), `product` (a service code), `sender` (a sender ID) or "
        "`tag` (messages sent with that tag). `filter[type]` takes those words (`service` reads as "
        "`product`); another word is a 422.",
        parameters=list_parameters(UnsubscriberFilterSet),
        responses={200: envelope("Unsubscribers", many(S.UNSUBSCRIBER), paginated=True)},
    )
    def get(self, request):
        qs = Unsubscriber.objects.for_account(self.account).filter(channel=self.channel)
        return self.paginated(
            apply_filterset(UnsubscriberFilterSet, request, qs), unsubscriber_data, "Unsubscribers list"
        )

    @extend_schema(
        summary="Create unsubscriber",
        description="Opts a number (`receiver`, with its country code) out of {channel} messages, for every "
        "message (`type` `all`, the default) or one `product`, `sender` or `tag` (`value`). Sends to it in "
        "that scope are then refused per recipient. Fires the channel's `unsubscription` event. Adding an "
        "opt-out that exists answers the existing entry (200). A number that does not validate, an unknown "
        "type or a missing value: 422.",
        request=S.UNSUBSCRIBER_BODY,
        responses={200: envelope("UnsubscriberAdded", S.UNSUBSCRIBER)},
    )
    def post(self, request):
        unsub = consent.opt_out(
            account=self.account,
            channel=self.channel,
            request=request._request,
            **services.scope_fields(_data(request)),
        )
        return self.ok(unsubscriber_data(unsub), "Receiver added successfully")

    @extend_schema(
        summary="Clean unsubscribers",
        description="Removes every {channel} unsubscriber of the account at once (all numbers, all scopes): "
        "those numbers can be sent to again. Answers `data: []`.",
        responses={200: envelope("UnsubscribersCleaned", EMPTY_LIST)},
    )
    def delete(self, request):
        consent.clear_opt_outs(account=self.account, channel=self.channel, request=request._request)
        return self.ok([], "Deleted Successfully")


class UnsubscriberDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)
    channel = Channel.SMS

    def _get(self, pk):
        return self.get_for_account(Unsubscriber.objects.filter(channel=self.channel), uuid=pk)

    @extend_schema(
        summary="View unsubscriber",
        description="One {channel} unsubscriber of the account by its `id` (UUID). Another account's id, "
        "another channel's, or no such entry: 404.",
        responses={200: envelope("UnsubscriberData", S.UNSUBSCRIBER)},
    )
    def get(self, request, pk):
        return self.ok(unsubscriber_data(self._get(pk)), "Unsubscribers data")

    @extend_schema(
        summary="Edit unsubscriber",
        description="Gives a {channel} unsubscriber another number or scope (the fields sent change, the "
        "channel stays). A result that duplicates another entry of the account is a 422 on `receiver`; an "
        "invalid number, type or value: 422.",
        request=S.UNSUBSCRIBER_EDIT,
        responses={200: envelope("UnsubscriberUpdated", S.UNSUBSCRIBER)},
    )
    def put(self, request, pk):
        unsub = self._get(pk)
        unsub = consent.edit_opt_out(
            entry=unsub, request=request._request, **services.scope_fields(_data(request), unsub)
        )
        return self.ok(unsubscriber_data(unsub), "Receiver update successfully")

    @extend_schema(
        summary="Delete unsubscriber",
        description="Lifts one {channel} opt-out: the number can receive messages of that scope again "
        "(its opt-outs of other scopes stay). Unknown id: 404.",
        responses={200: envelope("UnsubscriberDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        unsub = self._get(pk)
        consent.opt_in(
            account=self.account,
            channel=unsub.channel,
            receiver=unsub.receiver,
            scope=unsub.type,
            value=unsub.value,
            request=request._request,
        )
        return self.ok([], "Deleted Successfully")


class UnsubscriberImport(V2APIView):
    required_scopes = {"POST": Scope.WRITE}
    channel = Channel.SMS

    @extend_schema(
        summary="Import unsubscribers",
        description="Opts out of {channel} messages every number of a file (multipart `file`: txt or csv "
        "with one number per line, or the first column of an xlsx/xls sheet; at most 100 MB), for every "
        "message (scope `all`). The file's checks (type, size, NUL, 128 KB lines, workbook limits) answer "
        "422 on `file`; the numbers are then added by a background job, whose progress and rejected rows "
        "`GET` at the answer's `Location` shows.",
        request={"multipart/form-data": S.UNSUBSCRIBER_IMPORT},
        responses={200: envelope("ImportAccepted", with_code=False, with_data=False)},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed({"file": ["The file field is required."]})
        job = importers.start_file_import(
            account=self.account, kind=ImportKind.UNSUBSCRIBERS, upload=upload, channel=self.channel
        )
        return _accepted(self, job, "Receivers accepted for import", include_code=False, include_data=False)


class BlockedTemplateList(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    @extend_schema(
        summary="View blocked templates",
        description="Lists the account's blocked DLT template ids: an SMS whose DLT template id is blocked "
        "and active (`status` 1) is refused per recipient with `DLT-TM-BLACKLST`. `filter[template_id]` "
        "matches the start of the id, `filter[status]` takes 1 or 0.",
        parameters=list_parameters(BlockedTemplateFilterSet),
        responses={200: envelope("BlockedTemplates", many(S.BLOCKED), paginated=True)},
    )
    def get(self, request):
        qs = BlockedTemplate.objects.for_account(self.account)
        return self.paginated(
            apply_filterset(BlockedTemplateFilterSet, request, qs), blocked_data, "Block templates list"
        )

    @extend_schema(
        summary="Block a template",
        description="Blocks a DLT template id (digits) for the account's SMS sends; `status` 1 (default) "
        "blocks, 0 keeps the entry inactive. A missing or non-digit id, an id already on the list, or a "
        "status other than 1/0: 422.",
        request=S.BLOCKED_BODY,
        responses={200: envelope("BlockedTemplateAdded", S.BLOCKED)},
    )
    def post(self, request):
        block = services.add_blocked_template(account=self.account, data=_data(request), request=request._request)
        return self.ok(blocked_data(block), "Block template added successfully")

    @extend_schema(
        summary="Clean blocked templates",
        description="Removes every blocked template of the account at once. Answers `data: []`.",
        responses={200: envelope("BlockedCleaned", EMPTY_LIST)},
    )
    def delete(self, request):
        services.clean_blocked_templates(account=self.account, request=request._request)
        return self.ok([], "Deleted Successfully")


class BlockedTemplateDetail(V2APIView):
    required_scopes = reads_and(Scope.WRITE)

    def _get(self, pk):
        return self.get_for_account(BlockedTemplate.objects.all(), uuid=pk)

    @extend_schema(
        summary="View blocked template",
        description="One blocked template of the account by its `id` (UUID). Another account's id, or no "
        "such entry: 404.",
        responses={200: envelope("BlockedTemplateData", S.BLOCKED)},
    )
    def get(self, request, pk):
        return self.ok(blocked_data(self._get(pk)), "Block template data")

    @extend_schema(
        summary="Edit blocked template",
        description="Changes a blocked template's DLT id or turns it on (`status` 1) or off (0); the fields "
        "sent change. A non-digit id, one already on the list, or another status: 422.",
        request=S.BLOCKED_EDIT,
        responses={200: envelope("BlockedTemplateUpdated", S.BLOCKED)},
    )
    def put(self, request, pk):
        block = services.update_blocked_template(block=self._get(pk), data=_data(request), request=request._request)
        return self.ok(blocked_data(block), "Block template updated successfully")

    @extend_schema(
        summary="Delete blocked template",
        description="Removes one blocked template: SMS with that DLT template id are no longer refused for "
        "it. Unknown id: 404.",
        responses={200: envelope("BlockedTemplateDeleted", EMPTY_LIST)},
    )
    def delete(self, request, pk):
        services.delete_blocked_template(block=self._get(pk), request=request._request)
        return self.ok([], "Deleted Successfully")


class BlockedTemplateImport(V2APIView):
    required_scopes = {"POST": Scope.WRITE}

    @extend_schema(
        summary="Import blocked templates",
        description="Blocks every DLT template id of a file: a multipart `file` (txt, csv, xlsx or xls, at "
        "most 100 MB; in a workbook, ids as text cells) or the public http(s) `url` of one (checked when "
        "sent: no credentials, public addresses only; downloaded by the job). Neither, a refused file or "
        "URL: 422. A background job adds the ids; its progress and outcome are at the answer's `Location`.",
        request={
            "multipart/form-data": S.BLOCKED_IMPORT,
            "application/json": S.BLOCKED_IMPORT_URL,
            "application/x-www-form-urlencoded": S.BLOCKED_IMPORT_URL,
        },
        responses={200: envelope("BlockedImportAccepted", EMPTY_LIST)},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        url = text.as_text(request.data.get("url"), "url").strip()
        kind = ImportKind.BLOCKED_TEMPLATES
        if upload is not None:
            job = importers.start_file_import(account=self.account, kind=kind, upload=upload)
        elif url:
            # Checked now (scheme, host, public addresses: a 422 on `url`); downloaded by the job.
            job = importers.start_url_import(
                account=self.account, kind=kind, url=url, filename=request.data.get("filename")
            )
        else:
            raise ValidationFailed({"file": ["The file field is required when url is not present."]})
        return _accepted(self, job, "Blocked templates accepted for import", data=[])


class SuppressionImportDetail(V2APIView):
    """An unsubscriber or blocked-template import job: its progress, counts and, when it failed,
    why (a URL that could not be downloaded, a file that could not be read)."""

    required_scopes = {"GET": Scope.READ}

    @extend_schema(
        summary="View a suppression import",
        description="The progress and outcome of an unsubscriber or blocked-template import (the address in "
        "the `Location` of the import's answer): `status` queued, running, done or failed, the counts "
        "(total, processed, added, duplicates, invalid), the first 100 rejected rows with the reason, and "
        "`error` when the job failed (a download refused or too slow, an unreadable file). Another account's "
        "import: 404.",
        responses={200: envelope("SuppressionImportData", S.IMPORT_JOB)},
    )
    def get(self, request, pk):
        kinds = [ImportKind.UNSUBSCRIBERS, ImportKind.BLOCKED_TEMPLATES]
        job = self.get_for_account(ImportJob.objects.filter(kind__in=kinds), uuid=pk)
        return self.ok(import_job_data(job), "Import data")


# Voice unsubscribers (catalog voice.md 10-16): the same resource on the voice channel.
class VoiceUnsubscriberList(UnsubscriberList):
    channel = Channel.VOICE


class VoiceUnsubscriberDetail(UnsubscriberDetail):
    channel = Channel.VOICE


class VoiceUnsubscriberImport(UnsubscriberImport):
    channel = Channel.VOICE
