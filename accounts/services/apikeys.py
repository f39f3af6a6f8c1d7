"""API keys: created with the secret shown once, looked up by hash, scoped, revoked,
transferred, whitelisted."""

import copy
import hashlib
import secrets
from time import monotonic

from django.db import transaction
from django.db.models import CharField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts import ipwhitelist
from accounts import scopes as key_scopes
from accounts.models import ROLE_PERMISSIONS, ApiKey, Membership
from accounts.permissions import Permission
from accounts.services import audit
from portal.api.scopes import Scope
from portal.core import counters, rules
from portal.core.errors import DomainError, PermissionDenied

KEY_PREFIX = "pk_"


def hash_key(secret):
    # Keys carry 256 bits of randomness, so a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(secret.encode()).hexdigest()


def role_in(account, user):
    """`user`'s role in `account`, or None when not a member."""
    if user is None:
        return None
    return Membership.objects.filter(account=account, user=user).values_list("role", flat=True).first()


def grantable_scopes(account, user):
    """The scopes `user` may put on a new key of `account` (their role's; all for the platform)."""
    if user is None:
        return key_scopes.ACCOUNT_KEY_SCOPES
    return key_scopes.role_scopes(role_in(account, user))


def _clean_scopes(account, actor, scopes):
    if scopes is None:  # "full": everything the creator may grant
        return key_scopes.ordered(grantable_scopes(account, actor))
    chosen = {str(s).strip().lower() for s in scopes}
    unknown = sorted(chosen - set(Scope.values))
    if unknown:
        raise DomainError(f"Unknown scope: {', '.join(unknown)}.", field="scopes")
    if not chosen:
        raise DomainError("Choose at least one scope.", field="scopes")
    beyond = key_scopes.ordered(chosen - grantable_scopes(account, actor))
    if beyond:
        raise DomainError(f"Your role cannot grant the {', '.join(beyond)} scope.", field="scopes")
    return key_scopes.ordered(chosen)


def create_api_key(
    *,
    account,
    name,
    actor=None,
    ip_whitelist="",
    confirm_wide_ranges=False,
    expires_at=None,
    scopes=None,
    request=None,
):
    """Create a key; returns (api_key, secret). The secret is never stored or shown again.

    `scopes` (names from portal.api.scopes; None = every scope `actor` may grant) are bounded by
    the creator's role now, and by the holder's role at every request. The key acts for `actor`
    (its holder); a key without an actor is the platform's, bounded like an owner's.
    `ip_whitelist` is parsed strictly (accounts.ipwhitelist); a range wider than /8 (IPv4) or /32
    (IPv6) is refused unless `confirm_wide_ranges`.
    """
    if actor is not None and role_in(account, actor) is None:
        raise PermissionDenied("Only members of the account can create its API keys.")
    scopes = _clean_scopes(account, actor, scopes)
    name = (name or "").strip()
    if not name:
        raise DomainError("The name field is required.", field="name")
    if len(name) > 100:
        raise DomainError("The name may not be greater than 100 characters.", field="name")
    try:
        networks = ipwhitelist.parse(ip_whitelist, confirm_wide=confirm_wide_ranges)
    except ipwhitelist.WhitelistError as exc:
        raise DomainError(exc.message, field="ip_whitelist") from None
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.", field="expires_at")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        key = ApiKey.objects.create(
            account=account,
            name=name,
            prefix=secret[:10],
            key_hash=hash_key(secret),
            ip_whitelist=networks,
            scopes=scopes,
            expires_at=expires_at,
            created_by=actor,
            holder=actor,
        )
        audit.record(
            "api_key.created",
            account=account,
            actor=actor,
            target=str(key),
            request=request,
            key=str(key.uuid),
            ip_whitelist=networks,
            scopes=scopes,
        )
    return key, secret


def revoke_api_key(*, api_key, actor=None, request=None):
    if api_key.revoked_at:
        return api_key
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit.record(
        "api_key.revoked",
        account=api_key.account,
        actor=actor,
        target=str(api_key),
        request=request,
        key=str(api_key.uuid),
    )
    return api_key


def transfer_api_key(*, api_key, to_user, actor=None, request=None):
    """Make `to_user` the key's holder (offboarding its creator): from now on the key is bounded
    by their role. They must be a member allowed to manage keys."""
    role = role_in(api_key.account, to_user)
    if role is None or Permission.MANAGE_KEYS not in ROLE_PERMISSIONS.get(role, ()):
        raise DomainError("Transfer keys to a member who can manage API keys.", field="transfer_to")
    if api_key.holder_id == to_user.pk:
        return api_key
    previous = api_key.holder.email if api_key.holder else ""
    api_key.holder = to_user
    api_key.transferred_at = timezone.now()
    api_key.save(update_fields=["holder", "transferred_at"])
    audit.record(
        "api_key.transferred",
        account=api_key.account,
        actor=actor,
        target=str(api_key),
        request=request,
        key=str(api_key.uuid),
        previous_holder=previous,
        holder=to_user.email,
    )
    return api_key


def with_holder_role(queryset):
    """Keys with `holder_role` annotated: the holder's current role in the key's account, None
    when the holder is no longer a member. One query with the key lookup itself."""
    return queryset.select_related("account", "holder").annotate(holder_role=_HOLDER_ROLE_SQL)


# Written as SQL rather than a Subquery: it is compiled on every API request, and the ORM's
# Subquery compile cost a quarter of a millisecond of each push (bench/bench_push_cpu.py).
_HOLDER_ROLE_SQL = RawSQL(  # noqa: S611 (built from model table names only, no input)
    f"SELECT m.role FROM {Membership._meta.db_table} m"  # noqa: S608
    f" WHERE m.account_id = {ApiKey._meta.db_table}.account_id AND m.user_id = {ApiKey._meta.db_table}.holder_id",
    (),
    output_field=CharField(),
)


def find_key(secret):
    """The ApiKey a presented secret belongs to, active or not, or None (with `holder_role`)."""
    if not secret or not secret.startswith(KEY_PREFIX):
        return None
    # No ORDER BY (a key hash is unique): the model's default ordering only adds compile time.
    return next(iter(with_holder_role(ApiKey.objects.filter(key_hash=hash_key(secret)).order_by())[:1]), None)


# Keys found by hash, kept by this process under their account's rules version
# (portal.core.rules): a change to a key, its account or a membership bumps that version
# (accounts.signals), and every process sees it on its next request. CACHE_SECONDS bounds what a
# change made behind the models' backs (a raw UPDATE) can take to be seen.
CACHE_SECONDS = 10.0
_FOUND = {}  # key hash -> (loaded at, rules version, ApiKey with holder_role)
_FOUND_MAX = 4096


def find_key_cached(secret, *, counting=None):
    """`find_key` through this process's cache: (key or None, the account's rules version). The
    version is read once (one cache round trip) and is the request's rules version as well.
    Each caller gets its own copy of the key and its account.

    `counting(key)` (the rate limit's counter of a key: (name, timeout)) is counted in that same
    round trip when the kept key is used; its new value is set on the returned key as
    `counted` (name, value). A key read from the table is not counted here."""
    if not secret or not secret.startswith(KEY_PREFIX):
        return None, None
    hashed = hash_key(secret)
    hit = _FOUND.get(hashed)
    now = monotonic()
    if hit and now - hit[0] < CACHE_SECONDS:
        if counting is None:
            version, counted = rules.versions(hit[2].account), None
        else:
            name, timeout = counting(hit[2])
            version, value = rules.versions_counting(hit[2].account, name, timeout=timeout)
            counted = (name, value)
        if version == hit[1]:
            mine = _copy(hit[2])
            mine.counted = counted
            return mine, version
        if counted:  # the kept key is stale: this request is counted once it is known again
            counters.decr(counted[0])
    # Read the key, then the version: a change committed in between bumps the version again after
    # its commit (rules.bump), so an entry stored under the older version is not served.
    key = find_key(secret)
    if key is None:
        return None, None
    version = rules.versions(key.account)
    if len(_FOUND) >= _FOUND_MAX:
        _FOUND.clear()
    _FOUND[hashed] = (now, version, key)
    return _copy(key), version


def _copy(key):
    mine = copy.copy(key)
    mine.account = copy.copy(key.account)
    return mine


def forget_cached_keys():
    _FOUND.clear()


def usable_scopes(api_key):
    """What a request with `api_key` may do now: min(the key's scopes, its holder's current role).
    None when the key acts for someone who is no longer a member (the key is refused)."""
    if not hasattr(api_key, "holder_role"):
        api_key.holder_role = role_in(api_key.account, api_key.holder) if api_key.holder_id else None
    if api_key.holder_id is not None and api_key.holder_role is None:
        return None
    return key_scopes.effective_scopes(api_key.scopes, api_key.holder_role, has_holder=api_key.holder_id is not None)


def mark_used(api_key, ip):
    """Record last use; written at most once a minute per key to keep hot paths cheap."""
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < 60 and api_key.last_used_ip == ip:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=ip or None)
    api_key.last_used_at, api_key.last_used_ip = now, ip
    if hit := _FOUND.get(api_key.key_hash):  # the kept key too, or every copy would write again
        hit[2].last_used_at, hit[2].last_used_ip = now, ip
