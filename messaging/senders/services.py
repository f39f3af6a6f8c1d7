"""Registering sender IDs and DLT templates. Every create or edit goes (back) to review."""

import re
import uuid

import phonenumbers
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from accounts.brands import resolve
from accounts.services import audit
from messaging.dlt.rules import normalize_body, validate_body
from messaging.senders.models import ReviewStatus, Sender, Template, TemplateType
from messaging.services.products import ProductNotEnabled, require_product
from portal.core import rules, text
from portal.core.errors import Conflict, FieldErrors, ValidationFailed

DOCUMENT_TYPES = {"pdf", "png", "jpg", "jpeg"}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
ENTITY_ID = re.compile(r"\d{12,19}\Z")
# DLT content template ids are 19 digits (TRAI's registry: `1107161521283358301`).
DLT_TEMPLATE_ID = re.compile(r"\d{19}\Z")
GLOBAL_ALPHA = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}\Z")
GLOBAL_NUMERIC = re.compile(r"\d{1,15}\Z")


def _clean(value, field):
    return text.as_text(value, field).strip()


# --- senders ------------------------------------------------------------------------------


def _check_document(document, errors):
    if not document:
        return
    if not isinstance(document, File):  # a text field named `document` (JSON, form) is not an upload
        errors.add("document", "The document must be a file.")
        return
    ext = document.name.rsplit(".", 1)[-1].lower() if "." in document.name else ""
    if ext not in DOCUMENT_TYPES:
        errors.add("document", "The document must be a file of type: pdf, png, jpg, jpeg.")
    if document.size > DOCUMENT_MAX_BYTES:
        errors.add("document", "The document may not be greater than 5 MB.")


def dlt_fields(account):
    """Whether the account's brand sells senders and templates with DLT fields (Brand.dlt_fields)."""
    return resolve.brand_for_account(account).dlt_fields


def _validated_sender(account, data, *, existing=None):
    errors = FieldErrors()
    if not dlt_fields(account):  # the brand's catalogue has no DLT fields: none are taken
        data = {k: v for k, v in data.items() if k not in ("entity_id", "entity_name")}
        takes_entity = False
    else:
        takes_entity = True
    name = _clean(data.get("name", existing.name if existing else ""), "name")
    iso = _clean(data.get("country_code", data.get("iso", existing.iso if existing else "")), "country_code").upper()
    entity_id = _clean(data.get("entity_id", existing.entity_id if existing else ""), "entity_id")
    entity_name = _clean(data.get("entity_name", existing.entity_name if existing else ""), "entity_name")
    product = None
    code = data.get("service", existing.product.code if existing else "")
    try:
        product = require_product(account, code)
    except ProductNotEnabled as exc:
        errors.add("service", exc.message)
    if not iso:
        errors.add("country_code", "The country code field is required.")
    elif iso not in phonenumbers.SUPPORTED_REGIONS:
        errors.add("country_code", "The country code must be a 2-letter ISO country code.")
    if not name:
        errors.add("name", "The name field is required.")
    elif product is not None:
        if product.requires_dlt and iso == "IN":
            if product.is_promotional:
                if not re.fullmatch(r"\d{6}", name):
                    errors.add("name", "Indian promotional sender IDs are 6 digits.")
            elif not re.fullmatch(r"[A-Za-z]{6}", name):
                errors.add("name", "Indian transactional and service sender IDs are exactly 6 letters.")
            else:
                name = name.upper()
            if not takes_entity:
                pass
            elif not entity_id:
                errors.add("entity_id", "The entity id field is required for Indian DLT senders.")
            elif not ENTITY_ID.match(entity_id):
                errors.add("entity_id", "The entity id must be 12 to 19 digits.")
            if takes_entity and not entity_name:
                errors.add("entity_name", "The entity name field is required for Indian DLT senders.")
        elif not (GLOBAL_ALPHA.match(name) or GLOBAL_NUMERIC.match(name)):
            errors.add(
                "name", "A sender ID is up to 11 letters and digits (with at least one letter) or up to 15 digits."
            )
    if existing and existing.status == ReviewStatus.APPROVED and name and name != existing.name:
        errors.add("name", "Existing sender IDs cannot be changed. Apply for a new one.")
    if len(entity_name) > 200:
        errors.add("entity_name", "The entity name may not be greater than 200 characters.")
    if len(entity_id) > 30 and "entity_id" not in errors:
        errors.add("entity_id", "The entity id may not be greater than 30 characters.")
    _check_document(data.get("document"), errors)
    if product is not None and name and "name" not in errors:
        clash = Sender.objects.for_account(account).filter(product=product, name__iexact=name)
        if existing:
            clash = clash.exclude(pk=existing.pk)
        if clash.exists():
            errors.add("name", "The name has already been taken for this service.")
    errors.raise_if_any()
    return {"name": name, "iso": iso, "entity_id": entity_id, "entity_name": entity_name, "product": product}


def create_sender(*, account, data, actor=None, request=None):
    """Register a sender ID; it waits for staff approval. Raises ValidationFailed."""
    fields = _validated_sender(account, data)
    with transaction.atomic():
        try:
            sender = Sender.objects.create(account=account, document=data.get("document") or "", **fields)
        except IntegrityError:
            raise ValidationFailed({"name": ["The name has already been taken for this service."]}) from None
        audit.record(
            "sender.created",
            account=account,
            actor=actor,
            request=request,
            target=sender.name,
            sender=str(sender.uuid),
            product=fields["product"].code,
        )
    return sender


def update_sender(*, sender, data, actor=None, request=None):
    """Edit a sender; any change sends it back to review."""
    fields = _validated_sender(sender.account, data, existing=sender)
    with transaction.atomic():
        for key, value in fields.items():
            setattr(sender, key, value)
        if data.get("document"):
            sender.document = data["document"]
        _back_to_review(sender)
        sender.save()
        _changed(sender.account)
        audit.record(
            "sender.updated",
            account=sender.account,
            actor=actor,
            request=request,
            target=sender.name,
            sender=str(sender.uuid),
        )
    return sender


def delete_sender(*, sender, actor=None, request=None):
    try:
        with transaction.atomic():
            sender.delete()
            _changed(sender.account)
            audit.record("sender.deleted", account=sender.account, actor=actor, request=request, target=sender.name)
    except ProtectedError:
        raise Conflict("This sender still has templates. Delete them first.") from None


def _changed(account):
    """Approved senders and templates feed the send path's cached rules."""

    rules.bump(account)


def _back_to_review(item):
    item.status = ReviewStatus.PENDING
    item.review_message = ""
    item.reviewed_by = None
    item.reviewed_at = None
    item.submitted_at = timezone.now()


# --- templates ----------------------------------------------------------------------------


def find_sender(account, ref):
    """A sender of the account by UUID or by name (an approved one first)."""
    ref = _clean(ref, "sender")
    if not ref:
        return None
    qs = Sender.objects.for_account(account).select_related("product")
    try:
        return qs.filter(uuid=uuid.UUID(ref)).first()
    except ValueError:
        named = qs.filter(name__iexact=ref)
        return named.filter(status=ReviewStatus.APPROVED).first() or named.first()


def _unique_alias(account, name, existing=None):
    base = slugify(name)[:100] or "template"
    alias, n = base, 1
    qs = Template.objects.for_account(account)
    if existing:
        qs = qs.exclude(pk=existing.pk)
    while qs.filter(alias=alias).exists():
        n += 1
        alias = f"{base}-{n}"
    return alias


def _validated_template(account, data, *, existing=None):
    errors = FieldErrors()
    sender_ref = data.get("sender", str(existing.sender.uuid) if existing else "")
    sender = find_sender(account, sender_ref) if sender_ref else None
    if not sender_ref:
        errors.add("sender", "The sender field is required.")
    elif sender is None:
        errors.add("sender", "The selected sender is invalid.")
    elif sender.status != ReviewStatus.APPROVED:
        errors.add("sender", "The sender must be approved before templates can use it.")
    name = _clean(data.get("name", existing.name if existing else ""), "name")
    if not name:
        errors.add("name", "The name field is required.")
    elif len(name) > 100:
        errors.add("name", "The name may not be greater than 100 characters.")
    dlt = dlt_fields(account)
    if not dlt:  # brand B's catalogue: no DLT template id; `type` optional on create, required on edit
        data = {k: v for k, v in data.items() if k != "template_id"}
        default_type = "" if existing else TemplateType.TRANSACTIONAL
        ttype = _clean(data.get("type", default_type), "type").upper()
    else:
        ttype = _clean(data.get("type", existing.type if existing else ""), "type").upper()
    if not ttype:
        errors.add("type", "The type field is required.")
    elif ttype not in TemplateType.values:
        errors.add("type", "The selected type is invalid (T, P, SI or SE).")
    body = normalize_body(text.as_text(data.get("body", existing.body if existing else ""), "body"))
    for problem in validate_body(body, template_type=ttype):
        errors.add("body", problem)
    template_id = _clean(data.get("template_id", existing.template_id if existing else ""), "template_id")
    needs_dlt = dlt and sender is not None and sender.product.requires_dlt and sender.iso == "IN"
    if needs_dlt and not template_id:
        errors.add("template_id", "The template id field is required for Indian DLT templates.")
    elif template_id and not DLT_TEMPLATE_ID.match(template_id):
        errors.add("template_id", "The template id must be the 19 digits of the DLT template id.")
    elif template_id:
        clash = Template.objects.for_account(account).filter(template_id=template_id)
        if existing:
            clash = clash.exclude(pk=existing.pk)
        if clash.exists():
            errors.add("template_id", "The template id has already been taken.")
    is_english = data.get("is_english")
    if is_english in (None, ""):
        is_english = existing.is_english if existing else body.isascii()
    else:
        is_english = str(is_english).strip() in {"1", "true", "True"}
    errors.raise_if_any()
    return {
        "sender": sender,
        "name": name,
        "type": ttype,
        "body": body,
        "template_id": template_id,
        "is_english": is_english,
        "entity_id": sender.entity_id,
    }


def create_template(*, account, data, actor=None, request=None):
    fields = _validated_template(account, data)
    with transaction.atomic():
        template = Template.objects.create(account=account, alias=_unique_alias(account, fields["name"]), **fields)
        audit.record(
            "template.created",
            account=account,
            actor=actor,
            request=request,
            target=template.name,
            template=str(template.uuid),
        )
    return template


def update_template(*, template, data, actor=None, request=None):
    fields = _validated_template(template.account, data, existing=template)
    with transaction.atomic():
        if fields["name"] != template.name:
            template.alias = _unique_alias(template.account, fields["name"], existing=template)
        for key, value in fields.items():
            setattr(template, key, value)
        _back_to_review(template)
        template.save()
        _changed(template.account)
        audit.record(
            "template.updated",
            account=template.account,
            actor=actor,
            request=request,
            target=template.name,
            template=str(template.uuid),
        )
    return template


def delete_template(*, template, actor=None, request=None):
    with transaction.atomic():
        template.delete()
        _changed(template.account)
        audit.record("template.deleted", account=template.account, actor=actor, request=request, target=template.name)
