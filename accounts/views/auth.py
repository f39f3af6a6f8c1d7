"""Login (with the 2FA step), logout, password reset, account switching."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.brands import addresses
from accounts.brands import services as brand_services
from accounts.brands.mail import BrandedPasswordResetForm
from accounts.forms import LoginForm, TwoFactorForm
from accounts.middleware import SESSION_KEY as ACCOUNT_SESSION_KEY
from accounts.models import Membership
from accounts.services import audit, security
from portal.core.net import client_ip

PENDING_USER = "2fa_pending_user"
PENDING_NEXT = "2fa_pending_next"


def _safe_next(request):
    """Only same-site paths are followed after login: no open redirects."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    ip = client_ip(request)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if security.login_blocked(email, ip):
            audit.record("auth.login_throttled", target=email, request=request, actor_email=email)
            form.add_error(None, "Too many failed attempts. Wait a few minutes and try again.")
        else:
            user = authenticate(request, email=email, password=form.cleaned_data["password"])
            if user is not None and not brand_services.admits_user(request.brand, user):
                # Another brand's customer: the same answer as a wrong password, nothing to learn.
                user = None
            if user is None:
                security.login_failed(email, ip)
                _record_failure(request, email)
                form.add_error(None, "The e-mail address or password is incorrect.")
            elif user.totp_enabled:
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_NEXT] = _safe_next(request)
                return redirect("accounts:login_2fa")
            else:
                security.login_succeeded(email)
                login(request, user)
                return redirect(_safe_next(request))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def _record_failure(request, email):
    user = get_user_model().objects.filter(email__iexact=email).first()
    membership = Membership.objects.filter(user=user).select_related("account").first() if user else None
    audit.record(
        "auth.login_failed",
        account=membership.account if membership else None,
        target=email,
        request=request,
        actor_email=email,
    )


def login_2fa(request):
    user_id = request.session.get(PENDING_USER)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("accounts:login")
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if not security.sensitive_attempt_allowed("2fa", user.pk):
            form.add_error(None, "Too many attempts. Wait five minutes and try again.")
        elif security.verify_totp(user, code) or security.use_recovery_code(user, code):
            target = request.session.get(PENDING_NEXT) or reverse(settings.LOGIN_REDIRECT_URL)
            security.reset_sensitive("2fa", user.pk)
            security.login_succeeded(user.email)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(target)
        else:
            security.login_failed(user.email, client_ip(request))
            _record_failure(request, user.email)
            form.add_error("code", "That code is not valid.")
    return render(request, "accounts/login_2fa.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "You have been logged out.")
    return redirect("accounts:login")


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    form_class = BrandedPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "brand": self.request.brand}

    def form_valid(self, form):
        # The link is built on the brand's configured domain, never on the request's Host header.
        base = urlsplit(addresses.base_url(self.request.brand))
        self.domain_override = base.netloc
        self.use_https = base.scheme == "https"
        self.extra_email_context = {"site_name": self.request.brand.name}
        # 3 requests per 5 minutes per address; the answer is the same either way so the
        # page never reveals whether an account exists.
        if security.sensitive_attempt_allowed(
            "reset-ip", client_ip(self.request)
        ) and security.sensitive_attempt_allowed("reset-email", form.cleaned_data["email"]):
            return super().form_valid(form)
        return redirect(self.success_url)


password_reset = ThrottledPasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


@require_POST
def switch_account(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    membership = Membership.objects.filter(user=request.user, account__uuid=request.POST.get("account")).first()
    if membership:
        request.session[ACCOUNT_SESSION_KEY] = membership.account_id
    return redirect("dashboard")
