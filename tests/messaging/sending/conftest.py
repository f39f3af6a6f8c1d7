import pytest

from tests.messaging.reports.pipeline_steps import senders_and_prices


@pytest.fixture
def sending_setup(account, settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    return senders_and_prices(account)
