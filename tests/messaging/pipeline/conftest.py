from tests.messaging.sending.conftest import sending_setup  # noqa: F401  (senders, templates, prices)
