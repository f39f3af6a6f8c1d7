"""Shared builders for tests."""

import itertools

from accounts.models import Membership, Role
from accounts.services import apikeys
from accounts.services.customers import create_customer

_seq = itertools.count(1)
PASSWORD = "Correct-Horse-42"


def make_account(*, name=None, credits_amount=None, parent=None, is_reseller=False, email=None, brand=None):
    n = next(_seq)
    account, user = create_customer(
        email=email or f"owner{n}@example.com",
        password=PASSWORD,
        name=name or f"Customer {n}",
        username=f"customer-{n}",
        credits_amount=credits_amount,
        parent=parent,
        is_reseller=is_reseller,
        brand=brand,
    )
    return account, user


def make_member(account, role=Role.DEVELOPER, email=None):
    from accounts.models import User

    n = next(_seq)
    user = User.objects.create_user(email=email or f"member{n}@example.com", password=PASSWORD)
    Membership.objects.create(account=account, user=user, role=role)
    return user


def make_key(account, **kwargs):
    kwargs.setdefault("name", "Test key")
    return apikeys.create_api_key(account=account, **kwargs)
