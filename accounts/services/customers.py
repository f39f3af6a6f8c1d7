"""Creating customer accounts with their owner."""

from django.db import transaction
from django.utils.text import slugify

from accounts import products
from accounts.models import Account, Membership, Role, User
from accounts.services import audit, credits
from portal.core.errors import DomainError, PermissionDenied


def unique_username(base):
    base = slugify(base)[:80] or "customer"
    candidate, n = base, 1
    while Account.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_customer(
    *,
    email,
    password,
    name="",
    username=None,
    credits_amount=None,
    parent=None,
    is_reseller=False,
    actor=None,
    brand=None,
):
    """Create an account, its owner user (or reuse an existing user) and its general wallet.
    `brand`: the brand it signs up under (else it inherits its parent's, or the platform's)."""
    email = (email or "").strip().lower()
    if not email:
        raise DomainError("The email field is required.", field="email")
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, name=name)
        account = Account.objects.create(
            name=name or email.split("@")[0],
            username=username or unique_username(name or email.split("@")[0]),
            email=email,
            parent=parent,
            is_reseller=is_reseller,
            brand=brand,
        )
        Membership.objects.create(account=account, user=user, role=Role.OWNER)
        credits.get_wallet(account)
        products.directory().enable_standard(account)
        audit.record("account.created", account=account, actor=actor, target=account.username)
        if credits_amount:
            credits.top_up(account=account, amount=credits_amount, reason="Opening credit", actor=actor)
    return account, user


def create_invited_customer(
    *, name, email, parent=None, is_reseller=False, opening_credits=None, actor=None, actor_role=None, request=None
):
    """Create an account whose owner is invited by e-mail (no password is set for them): the
    account, its wallet and standard products now, the owner's membership when they accept.
    Staff create any customer this way; a reseller its own (opening credits then come out of the
    reseller's wallet, as a transfer). Returns (account, invitation)."""
    from accounts.services import team

    email = (email or "").strip().lower()
    name = (name or "").strip()
    if not name:
        raise DomainError("The name field is required.", field="name")
    if parent is not None and not parent.is_reseller:
        raise PermissionDenied("Only reseller accounts can create customers.")
    with transaction.atomic():
        account = Account.objects.create(
            name=name, username=unique_username(name), email=email, parent=parent, is_reseller=is_reseller
        )
        credits.get_wallet(account)
        products.directory().enable_standard(account)
        audit.record("account.created", account=account, actor=actor, request=request, target=account.username)
        invitation, _ = team.invite_member(
            account=account, email=email, role=Role.OWNER, actor=actor, actor_role=actor_role, request=request
        )
        if opening_credits and parent is not None:
            credits.transfer_to_child(
                parent=parent,
                child_username=account.username,
                amount=opening_credits,
                actor=actor,
                notes="Opening credit",
                request=request,
            )
        elif opening_credits:
            credits.top_up(account=account, amount=opening_credits, reason="Opening credit", actor=actor)
    return account, invitation
