import pytest

from messaging.pricing.services import save_price
from messaging.review import services as review
from messaging.senders import services as registry


@pytest.fixture
def sending_setup(account, settings):
    settings.SIMULATOR = {"delivery_ratio": 1.0, "dlr_delay_seconds": 0, "seed": 1}
    save_price(data={"service": "T", "iso": "IN", "country_name": "India", "sale_price": "0.25"})
    save_price(data={"service": "G", "iso": "GB", "country_name": "United Kingdom", "sale_price": "2"})
    save_price(data={"service": "P", "iso": "IN", "country_name": "India", "sale_price": "0.1"})
    sender = registry.create_sender(
        account=account,
        data={
            "name": "ACMEIN",
            "service": "T",
            "country_code": "IN",
            "entity_id": "1101234567890",
            "entity_name": "Acme",
        },
    )
    review.approve(item=sender)
    uk = registry.create_sender(account=account, data={"name": "AcmeUK", "service": "G", "country_code": "GB"})
    review.approve(item=uk)
    template = registry.create_template(
        account=account,
        data={
            "sender": "ACMEIN",
            "name": "OTP",
            "type": "T",
            "template_id": "1107161521283358301",
            "body": "Your OTP is {#var#}. Do not share it.",
        },
    )
    review.approve(item=template)
    return {"sender": sender, "template": template}
