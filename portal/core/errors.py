class DomainError(Exception):
    """A refused operation; callers map it to a form error, an API envelope or a task retry."""

    status_code = 422
    field = None

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        if field:
            self.field = field


class InsufficientCredit(DomainError):
    field = "credits"


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    """A budget of the account is spent for now: a 429 whose Retry-After says when to try again."""

    status_code = 429

    def __init__(self, message, *, retry_after, field=None):
        super().__init__(message, field=field)
        self.retry_after = max(1, int(retry_after))


class ValidationFailed(DomainError):
    """Several fields are wrong at once: `errors` maps each field to its messages."""

    def __init__(self, errors):
        self.errors = {field: list(messages) for field, messages in errors.items()}
        first_field = next(iter(self.errors))
        super().__init__(self.errors[first_field][0], field=first_field)


class FieldErrors(dict):
    """Collects field -> messages while a service validates input, then raises them all at once."""

    def add(self, field, message):
        self.setdefault(field, []).append(message)

    def raise_if_any(self):
        if self:
            raise ValidationFailed(self)
