"""The signed-in person's security settings: password and TOTP two-factor login."""

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.forms import TwoFactorForm
from accounts.services import audit, security

SETUP_SESSION_KEY = "2fa_setup_started"


def _account(request):
    return getattr(request, "account", None)


def _security_page(request, *, password_form=None, codes=None, status=200, **extra):
    ctx = {
        "password_form": password_form or PasswordChangeForm(request.user),
        "recovery_codes": codes,
        "recovery_left": request.user.recovery_codes.filter(used_at__isnull=True).count(),
        "code_form": extra.pop("code_form", None) or TwoFactorForm(),
        **extra,
    }
    return render(request, "accounts/security.html", ctx, status=status)


@never_cache  # shows a secret: no browser or proxy may keep it
@login_required
@sensitive_post_parameters()
def security_settings(request):
    """GET shows the page; POST changes the password."""
    if request.method == "POST":
        form = PasswordChangeForm(request.user, request.POST)
        if form.is_valid():
            user = form.save()
            update_session_auth_hash(request, user)
            audit.record(
                "auth.password_changed", account=_account(request), actor=user, target=user.email, request=request
            )
            messages.success(request, "Your password was changed.")
            return redirect("accounts:security")
        return _security_page(request, password_form=form, status=422)
    return _security_page(request)


@never_cache  # shows a secret: no browser or proxy may keep it
@login_required
def two_factor_setup(request):
    user = request.user
    if user.totp_enabled:
        return redirect("accounts:security")
    if request.method == "GET" or not user.totp_secret or not request.session.get(SETUP_SESSION_KEY):
        security.start_totp_setup(user)
        request.session[SETUP_SESSION_KEY] = True
        form = TwoFactorForm()
    else:
        form = TwoFactorForm(request.POST)
        if form.is_valid():
            if not security.sensitive_attempt_allowed("2fa-setup", user.pk):
                form.add_error("code", "Too many attempts. Wait five minutes and try again.")
            else:
                codes = security.enable_totp(user, form.cleaned_data["code"])
                if codes:
                    request.session.pop(SETUP_SESSION_KEY, None)
                    audit.record(
                        "2fa.enabled", account=_account(request), actor=user, target=user.email, request=request
                    )
                    messages.success(request, "Two-factor login is on. Keep your recovery codes somewhere safe.")
                    return _security_page(request, codes=codes)
                form.add_error("code", "That code is not valid. Check your device's clock and try again.")
    uri = security.provisioning_uri(user)
    svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).to_string(encoding="unicode")
    ctx = {"form": form, "secret": user.totp_secret, "qr_svg": mark_safe(svg), "uri": uri}  # noqa: S308 - our own SVG
    return render(request, "accounts/two_factor_setup.html", ctx, status=422 if form.errors else 200)


def _code_ok(request, code):
    user = request.user
    if not security.sensitive_attempt_allowed("2fa-manage", user.pk):
        return False, "Too many attempts. Wait five minutes and try again."
    if security.verify_totp(user, code) or security.use_recovery_code(user, code):
        return True, None
    return False, "That code is not valid."


@never_cache  # shows a secret: no browser or proxy may keep it
@login_required
@require_POST
@sensitive_post_parameters()
def two_factor_disable(request):
    user = request.user
    form = TwoFactorForm(request.POST)
    if not user.check_password(request.POST.get("password", "")):
        form.is_valid()
        form.add_error(None, "Your password is incorrect.")
        return _security_page(request, code_form=form, disable_open=True, status=422)
    ok, error = _code_ok(request, request.POST.get("code", ""))
    if not ok:
        form.is_valid()
        form.add_error("code", error)
        return _security_page(request, code_form=form, disable_open=True, status=422)
    security.disable_totp(user)
    audit.record("2fa.disabled", account=_account(request), actor=user, target=user.email, request=request)
    messages.success(request, "Two-factor login is off.")
    return redirect("accounts:security")


@never_cache  # shows a secret: no browser or proxy may keep it
@login_required
@require_POST
def recovery_codes_regenerate(request):
    user = request.user
    if not user.totp_enabled:
        return redirect("accounts:security")
    form = TwoFactorForm(request.POST)
    ok, error = _code_ok(request, request.POST.get("code", ""))
    if not ok:
        form.is_valid()
        form.add_error("code", error)
        return _security_page(request, code_form=form, regenerate_open=True, status=422)
    codes = security.regenerate_recovery_codes(user)
    audit.record(
        "2fa.recovery_codes_regenerated", account=_account(request), actor=user, target=user.email, request=request
    )
    return _security_page(request, codes=codes)
