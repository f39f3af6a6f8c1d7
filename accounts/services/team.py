"""Team membership: invitations, role changes, removal. An account always keeps an owner."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.brands import addresses, mail
from accounts.brands.resolve import brand_for_account
from accounts.models import ApiKey, Invitation, Membership, Role, User
from accounts.services import apikeys, audit
from portal.core.errors import Conflict, DomainError, NotFound, PermissionDenied


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _check_owner_rights(actor_role, *roles):
    """Only an owner grants, changes or removes the owner role (`actor_role` None = system)."""
    if actor_role is not None and actor_role != Role.OWNER and Role.OWNER in roles:
        raise PermissionDenied("Only an owner can grant, change or remove the owner role.")


def invite_member(*, account, email, role, actor, actor_role=None, request=None):
    """Create an invitation and e-mail its link (after commit). Returns (invitation, token)."""
    email = (email or "").strip().lower()
    if not email or "@" not in email:
        raise DomainError("Enter a valid e-mail address.", field="email")
    if role not in Role.values:
        raise DomainError("Choose a valid role.", field="role")
    _check_owner_rights(actor_role, role)
    if Membership.objects.filter(account=account, user__email__iexact=email).exists():
        raise Conflict(f"{email} is already a member of this account.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(
            account=account, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            token_hash=_hash(token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
        )
        audit.record("team.invited", account=account, actor=actor, target=email, request=request, role=role)
        # The link and the e-mail are the account's brand's, whatever host the inviter is on.
        brand = brand_for_account(account)
        link = addresses.absolute(reverse("accounts:invitation_accept", args=[token]), brand)
        transaction.on_commit(
            lambda: mail.send(
                subject=f"You are invited to {account.name}",
                text=f"{actor.get_full_name() if actor else 'A team member'} invited you to join {account.name} "
                f"as {Role(role).label}.\n\nAccept the invitation: {link}\n\n"
                f"The link expires in {settings.INVITATION_TTL_DAYS} days.",
                to=[email],
                brand=brand,
                action_url=link,
                action_label="Accept the invitation",
            )
        )
    return invitation, token


def find_invitation(token):
    invitation = Invitation.objects.select_related("account").filter(token_hash=_hash(token)).first()
    if invitation is None or not invitation.is_pending:
        raise NotFound("This invitation is invalid or has expired.")
    return invitation


def accept_invitation(*, token, user=None, password=None, name="", request=None):
    """Join the account. An unknown e-mail gets a new user with `password`."""
    with transaction.atomic():
        invitation = find_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise NotFound("This invitation is invalid or has expired.")
        if user is None:
            user = User.objects.filter(email__iexact=invitation.email).first()
            if user is None:
                if not password:
                    raise DomainError("Choose a password.", field="password")
                user = User.objects.create_user(email=invitation.email, password=password, name=name)
        elif user.email.lower() != invitation.email.lower():
            raise DomainError("This invitation was sent to another e-mail address.")
        Membership.objects.get_or_create(account=invitation.account, user=user, defaults={"role": invitation.role})
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit.record(
            "team.joined",
            account=invitation.account,
            actor=user,
            target=user.email,
            request=request,
            role=invitation.role,
        )
    return invitation.account, user


def revoke_invitation(*, invitation, actor, request=None):
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        "team.invitation_revoked", account=invitation.account, actor=actor, target=invitation.email, request=request
    )


def _owners(account):
    return Membership.objects.select_for_update().filter(account=account, role=Role.OWNER)


def change_role(*, membership, role, actor, actor_role=None, request=None):
    if role not in Role.values:
        raise DomainError("Choose a valid role.", field="role")
    _check_owner_rights(actor_role, role, membership.role)
    with transaction.atomic():
        owners = list(_owners(membership.account))
        if membership.role == Role.OWNER and role != Role.OWNER and len(owners) <= 1:
            raise Conflict("An account must keep at least one owner.")
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(
            "team.role_changed",
            account=membership.account,
            actor=actor,
            target=membership.user.email,
            request=request,
            old=old,
            new=role,
        )
    return membership


def held_keys(membership):
    """The active API keys that act for this member in their account (revoked or transferred when
    the member is removed)."""
    return ApiKey.objects.for_account(membership.account).active().filter(holder=membership.user)


def key_heirs(membership):
    """The members who may take over `membership`'s keys: everyone else allowed to manage keys."""
    return [
        m
        for m in Membership.objects.for_account(membership.account).select_related("user").exclude(pk=membership.pk)
        if m.can("manage_keys")
    ]


def remove_member(*, membership, actor, actor_role=None, transfers=None, request=None):
    """Remove a member. Their active API keys are revoked, except those named in `transfers`
    ({key uuid: User}), which pass to that member (who must be able to manage keys) and are then
    bounded by their role. A key left with a removed holder would be refused anyway; revoking
    it makes the decision visible. Returns (revoked, transferred) key counts."""
    _check_owner_rights(actor_role, membership.role)
    transfers = {str(k): v for k, v in (transfers or {}).items()}
    with transaction.atomic():
        owners = list(_owners(membership.account))
        if membership.role == Role.OWNER and len(owners) <= 1:
            raise Conflict("An account must keep at least one owner.")
        keys = list(held_keys(membership).select_for_update())
        unknown = set(transfers) - {str(k.uuid) for k in keys}
        if unknown:
            raise DomainError("Only this member's active keys can be transferred.", field="transfer_to")
        heirs = {m.user_id for m in key_heirs(membership)}
        revoked = transferred = 0
        for key in keys:
            heir = transfers.get(str(key.uuid))
            if heir is None:
                apikeys.revoke_api_key(api_key=key, actor=actor, request=request)
                revoked += 1
                continue
            if heir.pk not in heirs:
                raise DomainError("Transfer keys to a member who can manage API keys.", field="transfer_to")
            apikeys.transfer_api_key(api_key=key, to_user=heir, actor=actor, request=request)
            transferred += 1
        membership.delete()
        audit.record(
            "team.removed",
            account=membership.account,
            actor=actor,
            target=membership.user.email,
            request=request,
            keys_revoked=revoked,
            keys_transferred=transferred,
        )
    return revoked, transferred
