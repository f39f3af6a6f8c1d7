"""Voice demo data (called by portal's seed_demo): a simulator bridge number, a virtual number, a
sample IVR flow and a sound file, so a new user can place a call with the demo API key at once."""

import logging

from django.core.files.uploadedfile import SimpleUploadedFile

from portal.core.errors import DomainError
from voice.connectors.audio import tone
from voice.models import Connector, NumberKind, VoiceNumber
from voice.services import conferences, flows, sounds

BRIDGE = "918068280001"
VMN = "918068280099"
log = logging.getLogger(__name__)
SAMPLE_FLOW = {
    "steps": [
        {
            "id": "hello",
            "type": "say",
            "text": "Hello {{Name}}. Press 1 to hear your code, 2 to talk to us.",
            "next": "menu",
        },
        {"id": "menu", "type": "gather", "digits": 1, "timeout": 5, "next": "route"},
        {
            "id": "route",
            "type": "branch",
            "value": "{{menu.digits}}",
            "cases": {"1": "code", "2": "agent"},
            "default": "bye",
        },
        {"id": "code", "type": "say", "text": "Your code is {{otp}}.", "next": "bye"},
        {
            "id": "agent",
            "type": "bridge",
            "numbers": ["919800000101", "919800000102"],
            "strategy": "fewest",
            "record": True,
            "next": "bye",
            "failed": "sorry",
        },
        {"id": "sorry", "type": "say", "text": "Everyone is busy. We will call you back.", "next": "bye"},
        {"id": "bye", "type": "say", "text": "Goodbye.", "next": "end"},
        {"id": "end", "type": "hangup"},
    ]
}


def load(account, owner):
    VoiceNumber.objects.create(account=account, number=BRIDGE, kind=NumberKind.BRIDGE, connector=Connector.SIMULATOR)
    flow = flows.create_flow(account=account, name="Welcome menu", definition=SAMPLE_FLOW, actor=owner)
    VoiceNumber.objects.create(account=account, number=VMN, kind=NumberKind.VMN, inbound_flow=flow)
    try:
        sounds.create_sound(
            account=account, upload=SimpleUploadedFile("hold-tone.wav", tone(3)), name="Hold tone", actor=owner
        )
    except (DomainError, OSError) as exc:  # no ffmpeg on this machine: the demo goes on without a sound
        log.warning("demo sound not created: %s", exc)
    conferences.create_conference(account=account, name="Team standup", max_people=6, validity=30, actor=owner)


def summary_lines(api_key):
    number = VoiceNumber.objects.filter(number=BRIDGE).select_related("account").first()
    if number is None:
        return []
    flow = number.account.voice_flows.filter(generated=False).order_by("pk").first()
    flow_id = flow.pk if flow else "<flow id>"
    return [
        f"Voice bridge:   {BRIDGE} (simulator: calls complete at once, see Voice > Call logs)",
        "Try a call:     curl -X POST http://localhost:8000/api/v2/outgoing/send "
        f'-H "Authorization: Bearer {api_key}" -d bridge={BRIDGE} -d to=919800000001 '
        f'-d flow_id={flow_id} -d "variables[Name]=Asha" -d "variables[otp]=4321"',
    ]
