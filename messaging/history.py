"""What other apps may read of sent messages: the public interface of message history
(import-linter holds `contacts` to this module and `messaging.consent`)."""

from messaging.pipeline.models import Message


def messages_to(account, numbers):
    """The account's messages to any of `numbers` (E.164 digits), newest first, every channel."""
    if not numbers:
        return Message.objects.none()
    return (
        Message.objects.for_account(account)
        .filter(mobile__in=list(numbers))
        .select_related("batch")
        .order_by("-submitted_at", "-id")
    )
