"""Which services an account may use."""

from accounts.services.errors import DomainError
from messaging.models import AccountService, Service


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
    from messaging.sending.context import invalidate  # the send path caches enabled services

    invalidate(account)


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
