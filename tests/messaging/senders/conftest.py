import pytest

from messaging.models import Product
from messaging.review import services as review
from messaging.senders import services
from tests.factories import make_account


@pytest.fixture
def sender(account):
    return services.create_sender(
        account=account,
        data={
            "name": "ACMEIN",
            "country_code": "IN",
            "service": "T",
            "entity_id": "1101234567890",
            "entity_name": "Acme",
        },
    )


@pytest.fixture
def approved_sender(sender):
    return review.approve(item=sender)


@pytest.fixture
def template(account, approved_sender):
    return services.create_template(
        account=account,
        data={
            "sender": approved_sender.name,
            "name": "OTP",
            "type": "T",
            "template_id": "1107161521283358301",
            "body": "Dear {#var#}, your OTP is {#var#}. Do not share it.",
        },
    )


@pytest.fixture
def global_service():
    return Product.objects.get(code="G")


@pytest.fixture
def other_sender(db):
    account, _ = make_account()
    return services.create_sender(account=account, data={"name": "Other", "country_code": "GB", "service": "G"})
