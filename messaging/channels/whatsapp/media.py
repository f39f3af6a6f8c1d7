"""Media customers upload to send: checked against the catalogued limits of its kind (the same
table as a send by link, `content.MEDIA`), stored in the `whatsapp_media` storage, named in
sends by its id (`message.payload.id` instead of `url`), and uploaded to the Cloud API once per
phone number on its first send from that number (`provider_id`)."""

from django.db import transaction

from messaging.channels.whatsapp import content
from messaging.channels.whatsapp.models import WhatsappMedia
from portal.core.errors import FieldErrors, ValidationFailed
from portal.core.tenancy import is_uuid

CONTENT_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "aac": "audio/aac", "mp4": "video/mp4",
    "m4a": "audio/mp4", "amr": "audio/amr", "mp3": "audio/mpeg", "mpeg": "audio/mpeg", "opus": "audio/ogg",
    "3gp": "video/3gpp", "3gpp": "video/3gpp", "pdf": "application/pdf", "txt": "text/plain",
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}  # fmt: skip
KINDS = tuple(k for k, _ in WhatsappMedia.KINDS)


def _extension(name):
    tail = name.rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[-1].lower() if "." in tail else ""


def check(kind, upload, errors):
    """The field errors of an upload of `kind` (type, file, its type and size)."""
    if kind not in KINDS:
        errors.add("type", f"The selected type is invalid ({', '.join(KINDS)}).")
        return
    if upload is None:
        errors.add("file", "The file field is required.")
        return
    limit, extensions = content.MEDIA[kind]
    extension = _extension(upload.name or "")
    if extensions and extension not in extensions:
        errors.add("file", f"The {kind} must be a file of type: {', '.join(extensions)}.")
    if kind == "document" and (not extension or extension in content.media_extensions() - {"mp4"}):
        errors.add("file", "A document must be a file with an extension, and not an image, audio or video file.")
    if kind == "audio" and extension == "ogg":
        errors.add("file", "Audio in a base ogg container is not supported (opus codec only).")
    if not upload.size:
        errors.add("file", "The file is empty.")
    elif upload.size > limit:
        errors.add("file", f"The {kind} may not be greater than {limit // (1024 * 1024)} MB.")


def upload(*, account, kind, file):
    """Store an upload; ValidationFailed (422 on the API, inline on the page) past a limit."""
    errors = FieldErrors()
    kind = str(kind or "").lower()
    check(kind, file, errors)
    if errors:
        raise ValidationFailed(errors)
    name = (file.name or "file").rsplit("/", 1)[-1][:200]
    media = WhatsappMedia(
        account=account,
        kind=kind,
        filename=name,
        content_type=CONTENT_TYPES.get(_extension(name), "application/octet-stream"),
        size=file.size,
    )
    media.file.save(name, file, save=False)
    media.save()
    return media


def delete(media):
    media.file.delete(save=False)
    media.delete()


def resolve(account, parsed, errors):
    """A send's media named by id: the account's own media of the message's kind, else a 422 on
    `message.payload.id`. Fills the filename from the upload when the send gave none."""
    document = parsed.content if parsed is not None else {}
    ident = document.get("media_id")
    if not ident:
        return
    found = (
        WhatsappMedia.objects.for_account(account).filter(uuid=ident, kind=document["type"]).first()
        if is_uuid(ident)
        else None
    )
    if found is None:
        errors.add(
            "message.payload.id", f"The selected message.payload.id is not one of your {document['type']} media."
        )
        return
    if document["type"] == "document" and not document.get("filename"):
        document["filename"] = found.filename


def provider_id(media_uuid, number, client):
    """The Cloud API's id of the media for this number, uploading it on first use."""
    media = WhatsappMedia.objects.get(uuid=media_uuid, account_id=number.account_id)
    known = media.provider_ids.get(number.phone_number_id)
    if known:
        return known
    with media.file.open("rb") as handle:
        ident = client.upload_media(handle.read(), media.filename, media.content_type)
    with transaction.atomic():
        locked = WhatsappMedia.objects.select_for_update().get(pk=media.pk)
        locked.provider_ids = {**locked.provider_ids, number.phone_number_id: ident}
        locked.save(update_fields=["provider_ids"])
    return ident


def data(media, request=None):
    """The API's representation."""
    return {
        "id": str(media.uuid),
        "type": media.kind,
        "filename": media.filename,
        "mime_type": media.content_type,
        "size": media.size,
        "created_at": media.created_at.isoformat().replace("+00:00", "Z"),
    }
