"""Resolve `request.account` for browser sessions from the user's membership."""

from accounts.brands.resolve import admits
from accounts.models import Membership

SESSION_KEY = "account_id"


class AccountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.account = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            # Under a brand's host only that brand's accounts are reachable (accounts.brands).
            brand = getattr(request, "brand", None)
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
