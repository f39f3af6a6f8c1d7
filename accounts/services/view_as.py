"""Read-only "view as": staff see any customer's pages, a reseller its own customers', exactly as
that account's analyst would (every write refused), under a banner, with every page view audited.

The session holds the account being viewed (`VIEW_AS_KEY`); AccountMiddleware reads it back with
`resolve()` on each request, which re-checks the right to view, so a reseller who loses a child
or a staff user who loses staff status drops out of the view on the next request.
"""

from accounts.models import Account, Membership, Role
from accounts.services import audit
from portal.core.errors import PermissionDenied

VIEW_AS_KEY = "view_as"
STAFF, RESELLER = "staff", "reseller"


def may_view(user, account, *, as_reseller_of=None):
    """Staff may view any account; a reseller (an admin of the parent) its children only."""
    if as_reseller_of is None:
        return user.is_staff
    member = Membership.objects.filter(user=user, account=as_reseller_of).first()
    return (
        member is not None
        and member.can("manage_credits")
        and as_reseller_of.is_reseller
        and account.parent_id == as_reseller_of.pk
    )


def start(request, account, *, as_reseller_of=None):
    if not may_view(request.user, account, as_reseller_of=as_reseller_of):
        raise PermissionDenied("You may not view this account.")
    request.session[VIEW_AS_KEY] = {
        "account": account.pk,
        "by": RESELLER if as_reseller_of else STAFF,
        "parent": as_reseller_of.pk if as_reseller_of else None,
    }
    audit.record("support.view_started", account=account, actor=request.user, request=request, target=account.username)


def stop(request):
    state = request.session.pop(VIEW_AS_KEY, None)
    if state:
        account = Account.objects.filter(pk=state["account"]).first()
        if account is not None:
            audit.record(
                "support.view_ended", account=account, actor=request.user, request=request, target=account.username
            )
    return state


def resolve(request):
    """(account, membership, by) for the session's view, or None (and the view is dropped)."""
    state = request.session.get(VIEW_AS_KEY)
    if not state:
        return None
    account = Account.objects.filter(pk=state.get("account")).select_related("parent").first()
    parent = Account.objects.filter(pk=state.get("parent")).first() if state.get("parent") else None
    if account is None or (state.get("parent") and parent is None):
        request.session.pop(VIEW_AS_KEY, None)
        return None
    if not may_view(request.user, account, as_reseller_of=parent):
        request.session.pop(VIEW_AS_KEY, None)
        return None
    # An unsaved membership with the read-only role: every page's permission checks apply as
    # they would to the account's analyst.
    return account, Membership(account=account, user=request.user, role=Role.ANALYST), state["by"]


def record_view(request, account):
    audit.record("support.viewed", account=account, actor=request.user, request=request, target=request.path[:255])
