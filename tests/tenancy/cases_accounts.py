"""Tenant-isolation cases: accounts (team, keys, credits, customers, audit, notifications)."""

from accounts.brands.models import Brand, BrandDomain
from accounts.models import Account, ApiKey, AuditEvent, Invitation, LedgerEntry, Membership, Role
from accounts.notifications.models import Notification
from accounts.notifications.services import notify
from accounts.services import audit, credits, team
from messaging.pricing.models import Price
from messaging.pricing.services import save_price
from tests.factories import make_account, make_key, make_member
from tests.tenancy.registry import Case, Listing, Op, exempt, register


def _member(account, marker):
    user = make_member(account, role=Role.DEVELOPER, email=f"{marker}@example.com")
    return Membership.objects.get(account=account, user=user)


register(
    Case(
        Membership,
        _member,
        ops=(
            Op("POST", "accounts:member_role", {"membership_id": "pk"}, {"role": Role.ANALYST}),
            Op("GET", "accounts:member_remove", {"membership_id": "pk"}),
            Op("POST", "accounts:member_remove", {"membership_id": "pk"}),
        ),
        listings=(Listing("accounts:team_list"),),
    )
)


def _invitation(account, marker):
    owner = account.memberships.get(role=Role.OWNER).user
    invitation, _ = team.invite_member(
        account=account, email=f"{marker}@example.com", role=Role.DEVELOPER, actor=owner, actor_role=Role.OWNER
    )
    return invitation


register(
    Case(
        Invitation,
        _invitation,
        ops=(Op("POST", "accounts:invitation_revoke", {"invitation_id": "pk"}),),
        listings=(Listing("accounts:team_list"),),
    )
)

register(
    Case(
        ApiKey,
        lambda account, marker: make_key(account, name=marker)[0],
        ops=(Op("POST", "accounts:api_key_revoke", {"key_id": "uuid"}),),
        listings=(Listing("accounts:api_key_list"),),
    )
)


def _reseller(account):
    Account.objects.filter(pk=account.pk).update(is_reseller=True)
    account.is_reseller = True


register(
    Case(
        Account,
        lambda account, marker: make_account(name=marker, parent=account)[0],
        name="accounts.Account (a reseller's customer)",
        prepare=_reseller,
        ops=(
            Op("POST", "accounts:child_transfer", {"account_id": "uuid"}, {"amount": "1", "notes": "x"}),
            Op("POST", "accounts:child_view", {"account_id": "uuid"}),
            Op("GET", "prices:child_markup", {"pk": "uuid"}),
        ),
        listings=(Listing("accounts:child_list"),),
    )
)

register(
    Case(
        LedgerEntry,
        lambda account, marker: credits.top_up(account=account, amount="7", reason=marker),
        ops=(Op("GET", "accounts:ledger_receipt", {"entry_id": "uuid"}),),
        listings=(
            Listing("accounts:ledger_list"),
            Listing("accounts:ledger_list", query={"format": "csv"}),
            Listing("dashboard"),
        ),
    )
)

register(
    Case(
        AuditEvent,
        lambda account, marker: audit.record("contact.created", account=account, target=marker),
        listings=(Listing("accounts:audit_log"), Listing("dashboard")),
    )
)

register(
    Case(
        Notification,
        lambda account, marker: notify(account=account, title=marker, email=False),
        ops=(Op("POST", "notifications:read_all", lookup="filter", changes=True),),
        listings=(Listing("notifications:list"),),
    )
)


def _price(account, marker):
    data = {"service": "G", "iso": "FR", "country_name": marker, "sale_price": "1.5"}
    return save_price(account=account, data=data)


register(Case(Price, _price, listings=(Listing("sms-pricing", api=True), Listing("prices:price_list"))))

exempt(
    "pricing.Markup",
    "addressed only through its customer's uuid (prices:child_markup, an Op of the reseller's-customer case)",
)
exempt("accounts.Wallet", "one per account, never addressed by id: pages and the API read request.account's")


def _brand(account, marker):
    return Brand.objects.create(account=account, slug=f"b-{account.pk}-{marker[-8:]}".lower(), name=marker)


register(
    Case(
        Brand,
        _brand,
        name="brands.Brand (a reseller's own brand)",
        prepare=_reseller,
        listings=(Listing("brands:settings"), Listing("brands:customer_preview")),
    )
)


def _domain(account, marker):
    brand = Brand.objects.filter(account=account).first() or _brand(account, "brand")
    return BrandDomain.objects.create(brand=brand, host=f"{marker.lower()}.example")


register(
    Case(
        BrandDomain,
        _domain,
        name="brands.BrandDomain (a reseller brand's domain)",
        prepare=_reseller,
        marker=lambda domain: domain.host,
        ops=(
            Op("POST", "brands:domain_check", {"domain_id": "pk"}),
            Op("POST", "brands:domain_remove", {"domain_id": "pk"}),
        ),
        listings=(Listing("brands:domain_list"),),
    )
)
