from django.conf import settings
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.brands.resolve import admits, platform_brand
from accounts.notifications.services import unread_count
from accounts.services import credits


def portal(request):
    # Templates check the member's permissions with {% can "name" %} (accounts.templatetags.portal_tags).
    membership = getattr(request, "membership", None)
    brand = getattr(request, "brand", None) or platform_brand()
    return {
        # Every page names the brand of the host it is served on, never the platform (accounts.brands).
        "brand": brand,
        "site_name": brand.name,
        "platform_name": settings.SITE_NAME,
        # The brand's assets; a preview of another brand passes its own (accounts.brands.pages).
        "brand_stylesheet_url": f"{reverse('brands:stylesheet')}?v={brand.version}",
        "brand_logo_url": f"{reverse('brands:logo')}?v={brand.version}" if brand.logo else "",
        "brand_favicon_url": f"{reverse('brands:favicon')}?v={brand.version}" if brand.favicon else "",
        "current_account": getattr(request, "account", None),
        "membership": membership,
        "account_balance": SimpleLazyObject(lambda: _balance(request)),
        "user_memberships": SimpleLazyObject(lambda: _memberships(request)),
        "unread_notifications": SimpleLazyObject(lambda: _unread(request)),
    }


def _unread(request):
    account = getattr(request, "account", None)
    return unread_count(account) if account else 0


def _memberships(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    brand = getattr(request, "brand", None)
    return [m for m in user.memberships.select_related("account").order_by("account__name") if admits(brand, m.account)]


def _balance(request):
    account = getattr(request, "account", None)
    return credits.balance(account) if account else 0
