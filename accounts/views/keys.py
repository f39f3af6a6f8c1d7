"""API keys page: create with scopes and a whitelist (secret shown once), list, revoke."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import ApiKeyForm
from accounts.models import ApiKey
from accounts.permissions import account_required
from accounts.services import apikeys
from portal.core.errors import DomainError
from portal.core.tenancy import get_for_account_or_404
from portal.pagination import paginate


def _table_context(request):
    keys = ApiKey.objects.for_account(request.account)
    query = request.GET.get("q", "").strip()
    if query:
        keys = keys.filter(name__icontains=query) | keys.filter(prefix__startswith=query)
    page = paginate(request, apikeys.with_holder_role(keys.select_related("created_by")))
    page.object_list = list(page.object_list)
    for key in page.object_list:
        # What the key may do today (its scopes within its holder's role); None: its holder left.
        key.usable = apikeys.usable_scopes(key)
        key.suspended = [] if key.usable is None else [s for s in key.scopes if s not in key.usable]
    return {"page": page, "q": query}


# The dialog closes on this event (static/src/js/portal.js), not by an inline script.
CLOSE_DIALOG = "closeDialog"


def _form(request, data=None):
    return ApiKeyForm(data, grantable=apikeys.grantable_scopes(request.account, request.user))


@account_required("manage_keys")
def api_key_list(request):
    ctx = {**_table_context(request), "form": _form(request)}
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/api_key_table.html", ctx)
    return render(request, "accounts/api_key_list.html", ctx)


@never_cache  # shows a secret: no browser or proxy may keep it
@account_required("manage_keys")
@require_POST
def api_key_create(request):
    form = _form(request, request.POST)
    if form.is_valid():
        try:
            key, secret = apikeys.create_api_key(
                account=request.account,
                name=form.cleaned_data["name"],
                ip_whitelist=form.cleaned_data["ip_whitelist"],
                confirm_wide_ranges=form.cleaned_data["confirm_wide_ranges"],
                expires_at=form.cleaned_data["expires_at"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            ctx = {**_table_context(request), "form": _form(request), "new_key": key, "secret": secret}
            if request.htmx:
                response = render(request, "accounts/partials/api_key_created.html", ctx)
                response["HX-Trigger"] = CLOSE_DIALOG
                return response
            return render(request, "accounts/api_key_list.html", ctx)
    ctx = {**_table_context(request), "form": form, "form_open": True}
    if request.htmx:
        return render(request, "accounts/partials/api_key_form.html", ctx, status=422)
    return render(request, "accounts/api_key_list.html", ctx, status=422)


@account_required("manage_keys")
@require_POST
def api_key_revoke(request, key_id):
    key = get_for_account_or_404(ApiKey, request.account, uuid=key_id)
    apikeys.revoke_api_key(api_key=key, actor=request.user, request=request)
    if request.htmx:
        return render(request, "accounts/partials/api_key_table.html", _table_context(request))
    messages.success(request, f"Key “{key.name}” was revoked.")
    return redirect("accounts:api_key_list")
