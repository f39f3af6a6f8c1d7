"""Resolve `request.account` for browser sessions from the user's membership, or from a
read-only "view as" (accounts/services/view_as.py): then writes are refused and views audited."""

from django.http import HttpResponseForbidden
from django.urls import reverse

from accounts.brands.resolve import admits
from accounts.models import Membership
from accounts.services import view_as

SESSION_KEY = "account_id"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.account = None
        request.membership = None
        request.viewing_as = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(("/api/", "/static/")):
            # Under a brand's host only that brand's accounts are reachable (accounts.brands), a
            # staff member's read-only view included.
            brand = getattr(request, "brand", None)
            viewed = view_as.resolve(request) if view_as.VIEW_AS_KEY in request.session else None
            if viewed is not None and admits(brand, viewed[0]):
                return self._view_as(request, *viewed)
            memberships = [
                m for m in Membership.objects.filter(user=user).select_related("account") if admits(brand, m.account)
            ]
            chosen = request.session.get(SESSION_KEY)
            membership = None
            if chosen:
                membership = next((m for m in memberships if m.account_id == chosen), None)
            if membership is None:
                membership = next(iter(memberships), None)
            if membership is not None:
                request.membership = membership
                request.account = membership.account
        return self.get_response(request)

    def _view_as(self, request, account, membership, by):
        request.account, request.membership, request.viewing_as = account, membership, by
        if request.method not in SAFE_METHODS and request.path not in (
            reverse("accounts:view_as_stop"),
            reverse("accounts:logout"),
        ):
            return HttpResponseForbidden("Read-only view: stop viewing this account to make changes.")
        view_as.record_view(request, account)
        return self.get_response(request)
