"""Tenant-isolation cases: voice (numbers, flows, sounds, calls, recordings, conferences, VMN logs,
prices). Pages add their operations in the same cases."""

import itertools

from django.utils import timezone

from messaging import consent
from messaging.suppressions.models import Unsubscriber
from tests.tenancy.registry import Case, Listing, Op, exempt, register
from voice.connectors.audio import tone
from voice.models import (
    Call,
    CallGroup,
    CallStatus,
    Conference,
    Flow,
    NumberKind,
    Recording,
    Sound,
    VmnLog,
    VoiceNumber,
    VoicePrice,
)
from voice.services import flows, storage

_numbers = itertools.count(1)
HANGUP = '{"steps": [{"id": "a", "type": "hangup"}]}'


def _bridge(account):
    """The requesting account's own bridge (for requests that name another account's object)."""
    number = f"9180682{account.pk % 1000:03d}{next(_numbers) % 100:02d}"
    return VoiceNumber.objects.get_or_create(number=number, defaults={"account": account})[0].number


def _flow(account, marker):
    return flows.create_flow(
        account=account, name=marker, definition={"steps": [{"id": "a", "type": "say", "text": "hi"}]}
    )


def _sound(account, marker):
    path = storage.save("sounds", f"{marker}.wav", tone(1))
    return Sound.objects.create(account=account, name=marker, path=path, duration_ms=1000)


def _call(account, marker):
    now = timezone.now()
    return Call.objects.create(
        account=account,
        bridge="918068289999",
        to="919800000001",
        name=marker,
        foreign_id=marker,
        status=CallStatus.ANSWER,
        start_at=now,
        end_at=now,
        settled=True,
    )


def _recording(account, marker):
    call = _call(account, f"call-{marker}")
    path = storage.save("recordings", f"{marker}.wav", tone(1))
    return Recording.objects.create(account=account, call=call, path=path, duration=1, agent=marker)


def _send_with(field, value_of):
    def data(obj, account):
        body = {"bridge": _bridge(account), "to": "919800000001", "audio": "https://x.example/a.wav"}
        body.update({field: value_of(obj)})
        return body

    return data


register(
    Case(
        Flow,
        _flow,
        ops=(
            Op("GET", "voice:flow_edit", {"pk": "pk"}),
            Op("POST", "voice:flow_edit", {"pk": "pk"}, {"name": "x", "definition": HANGUP}),
            Op("POST", "voice:flow_delete", {"pk": "pk"}),
            Op("POST", "voice:flow_test_call", {"pk": "pk"}, {"test-to": "919800000001"}),
            Op("POST", "voice-outgoing-send", data=_send_with("flow_id", lambda f: f.pk), api=True, lookup="filter"),
        ),
        listings=(Listing("voice:flow_list"),),
    )
)
register(
    Case(
        Sound,
        _sound,
        ops=(
            Op("POST", "voice:sound_delete", {"pk": "uuid"}),
            Op(
                "POST", "voice-outgoing-send", data=_send_with("audio", lambda s: s.uuid.hex), api=True, lookup="filter"
            ),
        ),
        listings=(Listing("voice:sound_list"),),
    )
)
register(
    Case(
        VoiceNumber,
        lambda account, marker: VoiceNumber.objects.create(
            account=account, number=f"91806{next(_numbers):07d}", kind=NumberKind.BRIDGE
        ),
        marker=lambda number: number.number,
        ops=(
            Op(
                "POST",
                "voice-outgoing-send",
                data=lambda n, account: {"bridge": n.number, "to": "919800000001", "audio": "https://x.example/a.wav"},
                api=True,
                lookup="filter",
            ),
        ),
        listings=(Listing("voice:number_list"),),
    )
)
register(
    Case(
        Call,
        _call,
        ops=(Op("GET", "voice:call_detail", {"pk": "uuid"}),),
        listings=(
            Listing("voice:call_list"),
            Listing("voice-calls", api=True),
            Listing("voice-callstatus", query=lambda call, account: {"cid": call.foreign_id}, api=True),
        ),
    )
)
register(Case(Recording, _recording, listings=(Listing("voice-recordings", api=True),)))
register(
    Case(
        Conference,
        lambda account, marker: Conference.objects.create(
            account=account,
            name=marker,
            number="918068280000",
            moderator_pin=f"{next(_numbers):06d}",
            participant_pin=f"9{next(_numbers):05d}",
            start_date=timezone.localdate(),
            end_date=timezone.localdate(),
        ),
        listings=(Listing("voice-conferences", api=True), Listing("voice:conference_list")),
    )
)
register(
    Case(
        VmnLog,
        lambda account, marker: VmnLog.objects.create(
            account=account, mobile="919800000001", number="918068280099", body=marker
        ),
        listings=(Listing("vmn-logs", api=True),),
    )
)
register(
    Case(
        VoicePrice,
        lambda account, marker: VoicePrice.objects.create(
            account=account, iso="IN", country_name=marker, calling_code=91, rate="0.1"
        ),
        listings=(Listing("voice-pricing", api=True),),
    )
)
register(
    Case(
        CallGroup,
        lambda account, marker: CallGroup.objects.create(account=account, name=marker, total=1),
        ops=(Op("GET", "voice:call_group_detail", {"pk": "uuid"}),),
    )
)
exempt("voice.VoiceSettings", "an account's calling hours, read by the send path only; no page or API addresses it")


def _voice_unsubscriber(account, marker):
    return consent.opt_out(account=account, channel="voice", receiver=f"9198765{next(_numbers) % 100000:05d}")


register(
    Case(
        Unsubscriber,
        _voice_unsubscriber,
        name="messaging.Unsubscriber (voice)",
        marker=lambda unsub: unsub.receiver,
        ops=(
            Op("GET", "voice-unsubscriber", {"pk": "uuid"}, api=True),
            Op("PUT", "voice-unsubscriber", {"pk": "uuid"}, {"receiver": "919876500999"}, api=True),
            Op("DELETE", "voice-unsubscriber", {"pk": "uuid"}, api=True),
            Op("DELETE", "voice-unsubscribers", api=True, lookup="filter", changes=True),
        ),
        listings=(Listing("voice-unsubscribers", api=True),),
    )
)
