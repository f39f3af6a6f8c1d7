"""WhatsApp templates: the catalogued payloads validated, stored, submitted to Meta's review and
moved by the provider's template-status webhooks.

Service templates (`is_conversation: true`; `type` text, json or media) need no review and are
approved at once. Meta templates (`type: template`) are submitted to the provider through the
business number's connector and stay PENDING until its `message_template_status_update` webhook
says APPROVED, REJECTED (with the reason), PAUSED or DISABLED. Only approved templates send.
"""

import json
import re

from django.db import IntegrityError, transaction

from accounts.notifications.models import Level
from accounts.notifications.services import notify
from messaging.channels.whatsapp.content import MAX_TEXT, VARIABLE, check_media
from messaging.channels.whatsapp.models import BusinessNumber, TemplateStatus, WhatsappTemplate
from portal.core.errors import FieldErrors, NotFound, ValidationFailed

SERVICE_TYPES = ("text", "json", "media")
TYPES = (*SERVICE_TYPES, "template")
CATEGORIES = ("marketing", "utility", "authentication")
LANGUAGES = ("en", "en_US")
MEDIA_KINDS = ("image", "video", "audio", "document")
HEADER_KINDS = ("text", "image", "video", "document")
MAX_HEADER = 60
MAX_BODY = 1024
MAX_FOOTER = 60
MAX_BUTTON_TEXT = 20
NAME = re.compile(r"^[A-Za-z0-9_]+$")
VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CODE_EXPIRE = (1, 90)


def _obj(value):
    return value if isinstance(value, dict) else {}


def _str(value):
    return value if isinstance(value, str) else ("" if value is None else str(value))


def variables(text, path, errors):
    """The `{{name}}` variables of a text in order; names must be alphanumeric and distinct."""
    names = VARIABLE.findall(text)
    for name in names:
        if not VARIABLE_NAME.match(name):
            errors.add(path, f"The variable {{{{{name}}}}} must be a name of letters and digits.")
    if len(set(names)) != len(names):
        errors.add(path, "The variable names must be distinct.")
    return names


def _limit(value, limit, path, errors):
    if len(value) > limit:
        errors.add(path, f"The {path} may not be greater than {limit} characters.")


def _service_payload(kind, payload, errors):
    inner = _obj(payload.get("payload"))
    declared = _str(payload.get("type")).lower()
    if kind == "text":
        text = _str(inner.get("text"))
        if not text.strip():
            errors.add("payload.payload.text", "The payload.payload.text field is required.")
        _limit(text, MAX_TEXT, "payload.payload.text", errors)
        return {"type": "text", "payload": {"text": text}}, text, variables(text, "payload.payload.text", errors)
    if kind == "json":
        if "text" not in inner:
            errors.add("payload.payload.text", "The payload.payload.text field is required (any JSON).")
        return {"type": "json", "payload": {"text": inner.get("text")}}, json.dumps(inner.get("text")), []
    if declared not in MEDIA_KINDS:
        errors.add("payload.type", f"The selected payload.type is invalid ({', '.join(MEDIA_KINDS)}).")
        return {}, "", []
    media = check_media(declared, inner, "payload.payload", errors)
    caption = media["caption"]
    return {"type": declared, "payload": {**media, "language": _str(inner.get("language"))}}, caption, []


def examples(raw, names, path, errors):
    """The sample values Meta's review reads (`params`), when given: one per variable, in order,
    none empty. An absent or empty list is no samples (the API has always accepted that)."""
    given = raw.get("params") if isinstance(raw.get("params"), list) else []
    if not given:
        return []
    values = [_str(v) for v in given]
    if len(values) != len(names):
        errors.add(f"{path}.params", f"Give one sample value per variable: {len(names)} wanted, {len(values)} given.")
    for i, (name, value) in enumerate(zip(names, values, strict=False)):
        if not value.strip():
            errors.add(f"{path}.params.{i}", f"The sample value of {{{{{name}}}}} is required.")
    return values


def _header(raw, errors):
    raw = _obj(raw)
    if not raw:
        return None, [], []
    kind = _str(raw.get("type")).lower()
    data = _obj(raw.get("payload"))
    if kind not in HEADER_KINDS:
        errors.add("payload.header.type", f"The selected payload.header.type is invalid ({', '.join(HEADER_KINDS)}).")
        return None, [], []
    if kind == "text":
        text = _str(data.get("text"))
        if not text.strip():
            errors.add("payload.header.payload.text", "The payload.header.payload.text field is required.")
        _limit(text, MAX_HEADER, "payload.header.payload.text", errors)
        names = variables(text, "payload.header.payload.text", errors)
        if len(names) > 1:
            errors.add("payload.header.payload.text", "The header may have at most one variable.")
        return {"type": "text", "text": text}, names, examples(raw, names, "payload.header", errors)
    media = check_media(kind, data, "payload.header.payload", errors)
    return {"type": kind, "url": media["url"]}, [], []


def _buttons(choices, category, errors):
    choices = _obj(choices)
    kind = _str(choices.get("type")).lower()
    if not choices:
        if category == "authentication":
            errors.add("payload.choices", "An authentication template needs an otp button.")
        return None
    if category == "authentication" and kind != "otp":
        errors.add("payload.choices.type", "An authentication template takes an otp button (copy_code, one_tap).")
        return None
    if kind == "actions":
        actions = choices.get("actions") if isinstance(choices.get("actions"), list) else []
        if not actions or len(actions) > 2:
            errors.add("payload.choices.actions", "Give one or two actions (a phone number and/or a URL).")
        out = []
        for i, action in enumerate(actions):
            action = _obj(action)
            at = f"payload.choices.actions.{i}"
            if action.get("type") == "phone_number":
                label, phone = _str(action.get("phone_number_text")), _str(action.get("phone_number"))
                if not label.strip():
                    errors.add(f"{at}.phone_number_text", "The phone button text is required.")
                _limit(label, MAX_BUTTON_TEXT, f"{at}.phone_number_text", errors)
                if not re.fullmatch(r"\+\d{6,15}", phone):
                    errors.add(f"{at}.phone_number", "The phone number must be + and the country code and number.")
                out.append({"type": "phone_number", "text": label, "phone_number": phone})
            elif action.get("type") == "url":
                label, url = _str(action.get("website_button_text")), _str(action.get("website_url"))
                if not label.strip():
                    errors.add(f"{at}.website_button_text", "The website button text is required.")
                _limit(label, MAX_BUTTON_TEXT, f"{at}.website_button_text", errors)
                if not re.match(r"^https?://[^\s/]+", url):
                    errors.add(f"{at}.website_url", "The website url must be a valid http(s) URL.")
                url_type = _str(action.get("website_url_type") or "Static")
                out.append({"type": "url", "text": label, "url": url, "url_type": url_type})
            else:
                errors.add(f"{at}.type", "The action type is invalid (phone_number, url).")
        return {"type": "actions", "actions": out}
    if kind == "reply":
        reply = _obj(choices.get("reply"))
        replies = []
        for key in ("quick_reply1", "quick_reply2", "quick_reply3"):
            label = _str(reply.get(key))
            if key != "quick_reply3" and not label.strip():
                errors.add(f"payload.choices.reply.{key}", f"The payload.choices.reply.{key} field is required.")
            _limit(label, MAX_BUTTON_TEXT, f"payload.choices.reply.{key}", errors)
            if label.strip():
                replies.append(label)
        return {"type": "reply", "replies": replies}
    if kind == "otp":
        otp = _obj(choices.get("otp"))
        otp_type = _str(otp.get("otp_type")).lower()
        if otp_type not in ("copy_code", "one_tap"):
            errors.add("payload.choices.otp.otp_type", "The otp_type is invalid (copy_code, one_tap).")
        label = _str(otp.get("text"))
        if not label.strip():
            errors.add("payload.choices.otp.text", "The otp button text is required.")
        _limit(label, MAX_BUTTON_TEXT, "payload.choices.otp.text", errors)
        try:
            expire = int(choices.get("code_expire"))
        except (TypeError, ValueError):
            expire = None
        if expire is None or not CODE_EXPIRE[0] <= expire <= CODE_EXPIRE[1]:
            errors.add("payload.choices.code_expire", "The code expire must be between 1 and 90 minutes.")
        return {
            "type": "otp",
            "otp_type": otp_type,
            "text": label,
            "code_expire": expire,
            "security": bool(choices.get("security")),
        }
    errors.add("payload.choices.type", "The selected payload.choices.type is invalid (actions, reply, otp).")
    return None


def _meta_payload(category, payload, errors):
    header, header_vars, header_examples = _header(payload.get("header"), errors)
    body_raw = _obj(payload.get("body"))
    body = _str(_obj(body_raw.get("payload")).get("text"))
    if not body.strip():
        errors.add("payload.body.payload.text", "The payload.body.payload.text field is required.")
    _limit(body, MAX_BODY, "payload.body.payload.text", errors)
    names = variables(body, "payload.body.payload.text", errors)
    if category == "utility" and not names:
        errors.add("payload.body.payload.text", "A utility template needs at least one variable.")
    if category == "authentication" and len(names) != 1:
        errors.add("payload.body.payload.text", "An authentication template's body has exactly one variable: the code.")
    if set(header_vars) & set(names):
        errors.add("payload.body.payload.text", "The variable names must be distinct from the header's.")
    footer = _str(_obj(_obj(payload.get("footer")).get("payload")).get("text"))
    _limit(footer, MAX_FOOTER, "payload.footer.payload.text", errors)
    if category == "authentication" and header:
        errors.add("payload.header", "An authentication template has no header.")
    buttons = _buttons(payload.get("choices"), category, errors)
    document = {
        "header": header,
        "header_variables": header_vars,
        "header_examples": header_examples,
        "body": body,
        "examples": examples(body_raw, names, "payload.body", errors),
        "footer": footer,
        "buttons": buttons,
    }
    return document, body, names


def validate(data):
    """The catalogued create body → the fields of a WhatsappTemplate (without account/number).
    Raises ValidationFailed with every problem at once."""
    errors = FieldErrors()
    kind = _str(data.get("type")).strip().lower()
    name = _str(data.get("name")).strip()
    category = _str(data.get("category")).strip().lower()
    language = _str(data.get("language")).strip() or ""
    conversation = data.get("is_conversation")
    if isinstance(conversation, str):
        conversation = {"true": True, "1": True, "false": False, "0": False}.get(conversation.lower(), conversation)
    if kind not in TYPES:
        errors.add("type", "The selected type is invalid (text, JSON, media, template).")
    if not name:
        errors.add("name", "The name field is required.")
    elif not NAME.match(name) or len(name) > 100:
        errors.add("name", "The name may only contain letters, digits and underscores (no spaces), up to 100.")
    if category not in CATEGORIES:
        errors.add("category", "The selected category is invalid (marketing, utility, authentication).")
    if language not in LANGUAGES:
        errors.add("language", "The selected language is invalid (en, en_US).")
    if not isinstance(conversation, bool):
        errors.add("is_conversation", "The is_conversation field is required and must be true or false.")
    elif kind in TYPES and conversation != (kind in SERVICE_TYPES):
        errors.add(
            "is_conversation",
            "Service templates (text, JSON, media) have is_conversation true; Meta templates (template) false.",
        )
    payload = data.get("payload")
    if not isinstance(payload, dict):
        errors.add("payload", "The payload field is required.")
        errors.raise_if_any()
    document, body, names = {}, "", []
    if kind in SERVICE_TYPES:
        document, body, names = _service_payload(kind, payload, errors)
    elif kind == "template":
        document, body, names = _meta_payload(category, payload, errors)
    errors.raise_if_any()
    return {
        "name": name,
        "alias": name.replace("_", "-"),
        "type": kind,
        "category": category,
        "language": language,
        "is_conversation": conversation,
        "body": body,
        "payload": document,
        "variables": names,
    }


def _business_number(account, number):
    digits = re.sub(r"\D", "", _str(number))
    if not digits:
        raise ValidationFailed({"number": ["The number field is required."]})
    found = BusinessNumber.objects.for_account(account).filter(number=digits, is_active=True).first()
    if found is None:
        raise ValidationFailed({"number": ["The number is not a WhatsApp business number of your account."]})
    return found


def create(*, account, data, submit_to_provider=True):
    """Validate, store and (Meta templates) submit for review after commit."""
    fields = validate(data)
    number = _business_number(account, data.get("number"))
    status = TemplateStatus.APPROVED if fields["is_conversation"] else TemplateStatus.PENDING
    try:
        with transaction.atomic():
            template = WhatsappTemplate.objects.create(account=account, number=number, status=status, **fields)
            if submit_to_provider and not fields["is_conversation"]:
                transaction.on_commit(lambda: submit(template.pk))
    except IntegrityError:
        raise ValidationFailed({"name": ["A template with this name and language exists for the number."]}) from None
    return template


def submit(template_id):
    """Hand a Meta template to the provider's review (the number's Cloud API); a refusal at the
    door rejects it with the provider's reason."""
    from messaging.channels.whatsapp import cloud_api  # the HTTP client; kept out of import time

    template = WhatsappTemplate.objects.select_related("number").get(pk=template_id)
    try:
        provider_id = cloud_api.client_for(template.number).create_template(template)
    except cloud_api.ProviderError as exc:
        update_status(template, TemplateStatus.REJECTED, reason=exc.reason)
        return
    WhatsappTemplate.objects.filter(pk=template.pk).update(provider_id=provider_id)


def update_status(template, status, *, reason=""):
    """The provider's review outcome (idempotent); the account's owners are notified of a change."""
    status = status.upper()
    if status not in TemplateStatus.values or (template.status == status and template.reason == reason):
        return False
    WhatsappTemplate.objects.filter(pk=template.pk).update(status=status, reason=reason[:300])
    template.status, template.reason = status, reason
    label = TemplateStatus(status).label.lower()
    notify(
        account=template.account,
        title=f"WhatsApp template {template.name} {label}",
        body=reason or f"Meta's review marked the template {template.name} {label}.",
        level=Level.INFO if status == TemplateStatus.APPROVED else Level.WARNING,
        email=False,
    )
    return True


def apply_provider_update(*, provider_id, status, reason=""):
    template = WhatsappTemplate.objects.select_related("account").filter(provider_id=str(provider_id)).first()
    if template is None:
        return False
    return update_status(template, status, reason=reason)


def delete(template):
    template.delete()


def get(account, pk):
    from portal.core.tenancy import is_uuid

    if not is_uuid(pk):
        raise NotFound("Template not found.")
    found = WhatsappTemplate.objects.for_account(account).select_related("number").filter(uuid=pk).first()
    if found is None:
        raise NotFound("Template not found.")
    return found
