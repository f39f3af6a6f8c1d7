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
