from tests.messaging.sending.conftest import sending_setup  # noqa: F401 - the same senders and prices
