"""Which services an account may use."""

from accounts.products import ProductChoice
from messaging.models import AccountService, Service
from portal.core import rules
from portal.core.errors import DomainError


class ServiceNotEnabled(DomainError):
    field = "service"


def enable_standard_services(account):
    standard = Service.objects.filter(is_standard=True, is_active=True)
    AccountService.objects.bulk_create(
        [AccountService(account=account, service=s) for s in standard], ignore_conflicts=True
    )


def set_account_services(account, codes):
    """Staff: make the account's enabled services exactly `codes`."""
    services = list(Service.objects.filter(code__in=codes))
    missing = set(codes) - {s.code for s in services}
    if missing:
        raise DomainError(f"Unknown service code(s): {', '.join(sorted(missing))}", field="services")
    AccountService.objects.filter(account=account).exclude(service__in=services).delete()
    AccountService.objects.bulk_create(
        [AccountService(account=account, service=s) for s in services], ignore_conflicts=True
    )
    rules.bump(account)


def enabled_services(account):
    return Service.objects.filter(
        pk__in=AccountService.objects.filter(account=account).values("service"), is_active=True
    )


def require_service(account, code, *, field="service"):
    """The account's enabled Service for `code`, or ServiceNotEnabled with the contract's message."""
    code = (code or "").strip()
    if not code:
        raise ServiceNotEnabled(f"The {field} field is required.", field=field)
    service = enabled_services(account).filter(code__iexact=code).first()
    if service is None:
        if not Service.objects.filter(code__iexact=code).exists():
            raise ServiceNotEnabled(f"The selected {field} is invalid.", field=field)
        raise ServiceNotEnabled(f"The service {code.upper()} is not enabled for your account.", field=field)
    return service


class ProductCatalog:
    """The catalogue as accounts asks about it (`accounts.products`), registered at start-up."""

    def enable_standard(self, account):
        enable_standard_services(account)

    def enabled_codes(self, account):
        return sorted(enabled_services(account).values_list("code", flat=True))

    def display_names(self, codes):
        return dict(Service.objects.filter(code__in=list(codes)).values_list("code", "display_name"))

    def active_code(self, code):
        service = Service.objects.filter(code__iexact=code, is_active=True).first()
        return service.code if service else None

    def choices(self, account):
        enabled = set(self.enabled_codes(account))
        return [
            ProductChoice(s.code, s.display_name, s.code in enabled) for s in Service.objects.filter(is_active=True)
        ]

    def set_enabled(self, account, codes):
        set_account_services(account, codes)
