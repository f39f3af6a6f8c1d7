import pytest

from accounts.services import credits
from voice.models import NumberKind, VoiceNumber
from voice.services import flows

BRIDGE = "918068280001"
MENU = {
    "steps": [
        {"id": "hello", "type": "say", "text": "Hello {{Name}}, your code is {{otp}}", "next": "menu"},
        {"id": "menu", "type": "gather", "prompt": "Press 1 to talk to us", "next": "route"},
        {"id": "route", "type": "branch", "value": "{{menu.digits}}", "cases": {"1": "agent"}, "default": "bye"},
        {"id": "agent", "type": "bridge", "numbers": ["919800000101"], "record": True, "next": "bye"},
        {"id": "bye", "type": "say", "text": "Goodbye"},
    ]
}


@pytest.fixture(autouse=True)
def _voice_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def bridge(account):
    credits.top_up(account=account, amount="900")  # 1000 in all
    return VoiceNumber.objects.create(account=account, number=BRIDGE, kind=NumberKind.BRIDGE)


@pytest.fixture
def menu_flow(account):
    return flows.create_flow(account=account, name="Menu", definition=MENU)
