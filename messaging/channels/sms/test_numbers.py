"""A member's own test number: confirmed with a code sent through the pipeline (so it is checked,
charged and reported like any message), then the target of the composer's "Send a test".

The code is sent by the account with one of its approved senders. On a route that needs DLT
templates it is written into an approved template of that sender with a variable, so the
confirmation itself passes the DLT rules; elsewhere it is a plain sentence."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from messaging.channels.sms import sending
from messaging.channels.sms.models import TestNumber
from messaging.channels.sms.sending import Outgoing
from messaging.dlt.rules import variables
from messaging.senders.models import ReviewStatus, Template
from messaging.services.products import ProductNotEnabled, require_product
from portal.core.errors import ValidationFailed
from portal.core.phone_numbers import InvalidNumber, normalize

CODE_VALID_FOR = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=30)


def _digest(code, number):
    return salted_hmac("sms.test-number", f"{number}:{code}").hexdigest()


def current(account, user):
    """The member's test number row, or None."""
    return TestNumber.objects.for_account(account).filter(user=user).first()


def verified_number(account, user):
    row = current(account, user)
    return row.number if row is not None and row.verified_at else ""


def _code_text(account, product, sender, code):
    """(text, DLT template id) carrying the code, as the route's rules want it."""
    if not product.requires_dlt:
        return f"{code} is your code to confirm this number for test sends. It expires in 10 minutes.", ""
    templates = (
        Template.objects.for_account(account)
        .filter(status=ReviewStatus.APPROVED, sender__name__iexact=sender)
        .order_by("created_at", "id")
    )
    for template in templates:
        names = variables(template.body)
        if names:
            text = template.body
            for i, name in enumerate(names):
                text = text.replace("{{" + name + "}}", code if i == 0 else "", 1)
            return text, template.template_id
    raise ValidationFailed(
        {"sender": [f"{sender} has no approved DLT template with a variable to carry the code on this service."]}
    )


def send_code(*, account, user, number, product_code, sender):
    """Send a new code to `number` (replacing any earlier number of this member, which is then
    unconfirmed until the code comes back). Raises ValidationFailed when the number is invalid,
    a code was sent moments ago, or the send refused the message (with the refusal's reason)."""
    try:
        mobile, _ = normalize(str(number or ""))
    except InvalidNumber as exc:
        raise ValidationFailed({"number": [str(exc)]}) from None
    try:
        product = require_product(account, product_code)
    except ProductNotEnabled as exc:
        raise ValidationFailed({"service": [exc.message]}) from None
    now = timezone.now()
    row = current(account, user)
    if row is not None and row.code_sent_at and row.code_hash and now - row.code_sent_at < RESEND_AFTER:
        raise ValidationFailed({"number": ["A code was sent moments ago: wait half a minute before asking again."]})
    code = f"{secrets.randbelow(10**6):06d}"
    text, template_id = _code_text(account, product, sender, code)
    with transaction.atomic():
        submission = sending.submit(
            account=account,
            product_code=product.code,
            outgoing=[Outgoing(to=mobile, sender=sender, message=text, template_id=template_id)],
            name="Test number confirmation",
            actor=user,
            source="portal",
        )
        if not submission.accepted:
            status = submission.items[0]["status"] if submission.items else "refused"
            # Raised inside the transaction: the refused send's batch is not kept.
            raise ValidationFailed({"number": [f"The code could not be sent ({status})."]})
        TestNumber.objects.update_or_create(
            account=account,
            user=user,
            defaults={
                "number": mobile,
                "code_hash": _digest(code, mobile),
                "code_sent_at": now,
                "attempts": 0,
                "verified_at": None,
            },
        )
    return submission


def confirm(*, account, user, code):
    """Confirm the member's number with the code sent to it. Raises ValidationFailed for a wrong,
    expired or exhausted code; the code works once."""
    with transaction.atomic():
        row = TestNumber.objects.for_account(account).select_for_update().filter(user=user).first()
        if row is None or not row.code_hash:
            raise ValidationFailed({"code": ["Ask for a code first."]})
        if row.attempts >= MAX_ATTEMPTS:
            raise ValidationFailed({"code": ["Too many wrong codes: ask for a new one."]})
        if timezone.now() - row.code_sent_at > CODE_VALID_FOR:
            raise ValidationFailed({"code": ["The code has expired: ask for a new one."]})
        if not constant_time_compare(_digest(str(code or "").strip(), row.number), row.code_hash):
            row.attempts += 1
            row.save(update_fields=["attempts", "updated_at"])
            wrong = ValidationFailed({"code": ["That is not the code we sent."]})
        else:
            row.verified_at, row.code_hash = timezone.now(), ""
            row.save(update_fields=["verified_at", "code_hash", "updated_at"])
            return row
    raise wrong
