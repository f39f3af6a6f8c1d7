"""Team page: members and invitations; the public invitation-accept page."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import InviteForm, RoleForm
from accounts.models import Invitation, Membership, Role, User
from accounts.permissions import account_required
from accounts.services import team
from portal.core.errors import DomainError, NotFound
from portal.core.tenancy import get_for_account_or_404


def _context(request, **extra):
    account = request.account
    members = Membership.objects.for_account(account).select_related("user").order_by("created_at")
    invitations = [i for i in Invitation.objects.for_account(account).select_related("invited_by") if i.is_pending]
    return {
        "members": members,
        "invitations": invitations,
        "roles": Role.choices,
        "invite_form": extra.pop("invite_form", None) or InviteForm(),
        "can_grant_owner": request.membership.role == Role.OWNER,
        **extra,
    }


def _render_table(request, error=None, status=200):
    ctx = _context(request, error=error)
    if request.htmx:
        return render(request, "accounts/partials/team_tables.html", ctx, status=status)
    if error:
        messages.error(request, error)
    return redirect("accounts:team_list")


@account_required("manage_team")
def team_list(request):
    ctx = _context(request)
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/partials/team_tables.html", ctx)
    return render(request, "accounts/team_list.html", ctx)


@account_required("manage_team")
@require_POST
def team_invite(request):
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            team.invite_member(
                account=request.account,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
                actor_role=request.membership.role,
                request=request,
            )
        except DomainError as exc:
            form.add_error("email" if exc.field in (None, "email") else None, exc.message)
        else:
            if request.htmx:
                response = render(request, "accounts/partials/team_invited.html", _context(request))
                response["HX-Trigger"] = "closeDialog"  # portal.js closes the dialog: no inline script
                return response
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:team_list")
    ctx = _context(request, invite_form=form)
    if request.htmx:
        return render(request, "accounts/partials/team_invite_form.html", ctx, status=422)
    return render(request, "accounts/team_list.html", ctx, status=422)


@account_required("manage_team")
@require_POST
def member_role(request, membership_id):
    membership = get_for_account_or_404(
        Membership.objects.select_related("user", "account"), request.account, pk=membership_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _render_table(request, "Choose a valid role.", status=422)
    try:
        team.change_role(
            membership=membership,
            role=form.cleaned_data["role"],
            actor=request.user,
            actor_role=request.membership.role,
            request=request,
        )
    except DomainError as exc:
        return _render_table(request, exc.message, status=exc.status_code)
    if not request.htmx:
        messages.success(request, f"{membership.user.email} is now {Role(membership.role).label}.")
    return _render_table(request)


def _removal_context(request, membership, *, choices=None, error=None):
    keys = list(team.held_keys(membership).order_by("name"))
    choices = choices or {}
    for key in keys:
        key.choice = choices.get(str(key.uuid), "revoke")
    return {"membership": membership, "keys": keys, "heirs": team.key_heirs(membership), "error": error}


def _render_removal(request, ctx, status=200):
    if request.htmx:
        response = render(request, "accounts/partials/member_remove_form.html", ctx, status=status)
        if request.method == "POST":  # the form was posted towards #team-tables: put it back in the dialog
            response["HX-Retarget"] = "#member-remove"
            response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "accounts/member_remove.html", ctx, status=status)


@account_required("manage_team")
@require_http_methods(["GET", "POST"])
def member_remove(request, membership_id):
    """GET: what happens to the member's API keys (each revoked, the default, or handed to another
    member). POST: remove them with those decisions."""
    membership = get_for_account_or_404(
        Membership.objects.select_related("user", "account"), request.account, pk=membership_id
    )
    if request.method == "GET":
        return _render_removal(request, _removal_context(request, membership))
    heirs = {str(m.pk): m.user for m in team.key_heirs(membership)}
    choices, transfers = {}, {}
    for key in team.held_keys(membership):
        choice = request.POST.get(f"key-{key.uuid}", "revoke")
        choices[str(key.uuid)] = choice
        if choice == "revoke":
            continue
        if choice not in heirs:
            ctx = _removal_context(request, membership, choices=choices, error="Choose who takes over each key.")
            return _render_removal(request, ctx, status=422)
        transfers[key.uuid] = heirs[choice]
    try:
        revoked, transferred = team.remove_member(
            membership=membership,
            actor=request.user,
            actor_role=request.membership.role,
            transfers=transfers,
            request=request,
        )
    except DomainError as exc:
        if exc.field == "transfer_to":
            ctx = _removal_context(request, membership, choices=choices, error=exc.message)
            return _render_removal(request, ctx, status=422)
        return _render_table(request, exc.message, status=exc.status_code)
    keys_note = _keys_note(revoked, transferred)
    if membership.user_id == request.user.id:
        messages.success(request, f"You left {request.account.name}.{keys_note}")
        response = redirect("dashboard")
        if request.htmx:
            response = render(request, "accounts/partials/team_tables.html", _context(request))
            response["HX-Redirect"] = "/"
        return response
    if not request.htmx:
        messages.success(request, f"{membership.user.email} was removed.{keys_note}")
    response = _render_table(request)
    if request.htmx:
        response["HX-Trigger"] = "closeDialog"
    return response


def _keys_note(revoked, transferred):
    parts = [
        f"{n} API key{'s' if n != 1 else ''} {verb}"
        for n, verb in ((revoked, "revoked"), (transferred, "transferred"))
        if n
    ]
    return f" {', '.join(parts)}." if parts else ""


@account_required("manage_team")
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = get_for_account_or_404(Invitation, request.account, pk=invitation_id)
    team.revoke_invitation(invitation=invitation, actor=request.user, request=request)
    if not request.htmx:
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    return _render_table(request)


def invitation_accept(request, token):
    try:
        invitation = team.find_invitation(token)
    except NotFound as exc:
        return render(request, "accounts/invitation_accept.html", {"invalid": exc.message}, status=404)
    user = request.user if request.user.is_authenticated else None
    wrong_user = user is not None and user.email.lower() != invitation.email.lower()
    needs_password = user is None and not User.objects.filter(email__iexact=invitation.email).exists()
    needs_login = user is None and not needs_password
    errors = {}
    if request.method == "POST" and not wrong_user and not needs_login:
        name = request.POST.get("name", "").strip()
        password = request.POST.get("password", "")
        if needs_password:
            try:
                validate_password(password, User(email=invitation.email, name=name))
            except ValidationError as exc:
                errors["password"] = exc.messages
        if not errors:
            try:
                account, joined = team.accept_invitation(
                    token=token, user=user, password=password, name=name, request=request
                )
            except DomainError as exc:
                errors["general"] = [exc.message]
            else:
                if user is None:
                    login(request, joined, backend="django.contrib.auth.backends.ModelBackend")
                request.session["account_id"] = account.pk
                messages.success(request, f"Welcome to {account.name}.")
                return redirect("dashboard")
    ctx = {
        "invitation": invitation,
        "wrong_user": wrong_user,
        "needs_password": needs_password,
        "needs_login": needs_login,
        "errors": errors,
    }
    return render(request, "accounts/invitation_accept.html", ctx, status=422 if errors else 200)
