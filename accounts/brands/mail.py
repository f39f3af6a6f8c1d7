"""E-mail in a brand's name: its From and Reply-To, its name, colours and logo, its footer, and
links to its own domain. Every e-mail the portal sends goes through `send`."""

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.brands import addresses, current, email_auth, resolve
from accounts.brands.services import admits_user
from portal.pages import PageForm


def brand_of(account=None, brand=None):
    """The brand an e-mail is sent under: the one given, the account's, the active one, or the platform's."""
    if brand is not None:
        return brand
    if account is not None:
        return resolve.brand_for_account(account)
    return current.get() or resolve.platform_brand()


def from_address(brand):
    address = brand.email_from or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((brand.email_from_name or brand.name, address))


class BrandEmail(EmailMultiAlternatives):
    """An e-mail that signs itself with its brand's DKIM key when it is built for sending (every
    backend calls `message()`), so the signature covers the final headers and body."""

    def __init__(self, *args, brand, **kwargs):
        super().__init__(*args, **kwargs)
        self.brand = brand

    def message(self, **kwargs):
        msg = super().message(**kwargs)
        value = email_auth.signature(msg.as_bytes(linesep="\r\n"), self.brand)
        if value:
            msg["DKIM-Signature"] = value
        return msg


def text_footer(brand):
    return " · ".join(part for part in (brand.name, brand.legal_footer, brand.support_email) if part)


def send(*, subject, text, to, account=None, brand=None, fail_silently=False, action_url="", action_label=""):
    """Send `text` (plain) with an HTML version in the brand's look. `to`: a list of addresses."""
    brand = brand_of(account, brand)
    with current.use(brand):
        base = addresses.base_url(brand)
        ctx = {
            "brand": brand,
            "subject": subject,
            "text": text,
            "action_url": action_url,
            "action_label": action_label,
            "logo_url": f"{base}/brand/logo?v={brand.version}" if brand.logo else "",
        }
        html = render_to_string("emails/branded.html", ctx)
    footer = text_footer(brand)
    message = BrandEmail(
        brand=brand,
        subject=subject,
        body=f"{text}\n\n-- \n{footer}" if footer else text,
        from_email=from_address(brand),
        to=list(to),
        reply_to=[brand.reply_to] if brand.reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    return message.send(fail_silently=fail_silently)


class BrandedPasswordResetForm(PageForm, PasswordResetForm):
    """Django's reset form, sending through `send` in the brand of the host the reset was asked
    on, to the users that brand admits only (another brand's customer gets nothing here)."""

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.brand = brand or resolve.platform_brand()

    def get_users(self, email):
        return (user for user in super().get_users(email) if admits_user(self.brand, user))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        send(subject=subject, text=body, to=[to_email], brand=self.brand)
