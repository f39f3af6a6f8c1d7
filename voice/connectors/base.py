"""What a voice connector is given and what it reports, whatever carries the call.

A `CallPlan` is everything a leg needs to run a call without the database; an `Outcome` is its
CDR: the catalogued status, the SIP final response behind it, times as offsets in seconds from
the moment the call was started, digits pressed, recordings made and every leg bridged (each
is billed). Connectors: `simulator` (a virtual clock, in the Celery worker) and `sip` (real
calls by the media worker process, `manage.py voice_media`).
"""

from dataclasses import dataclass, field

# SIP final response -> the catalogued status (docs/voice.md). 487 is the caller giving up.
SIP_STATUS = {
    200: "ANSWER",
    486: "BUSY",
    600: "BUSY",
    408: "NOANSWER",
    480: "NOANSWER",
    487: "CANCEL",
    503: "CONGESTION",
}
UNAVAILABLE = "CHANUNAVAIL"  # 404 and every other failure: no channel to the number


def status_for_sip(code):
    return SIP_STATUS.get(int(code), "CONGESTION" if 500 <= int(code) < 600 else UNAVAILABLE)


@dataclass
class CallPlan:
    id: int
    uuid: str
    to: str
    bridge: str
    source: str = "OBD"
    call_from: str = ""  # click-to-call: the first leg
    flow: dict | None = None  # a validated definition
    variables: dict = field(default_factory=dict)
    audio: str = ""
    audio_seconds: float = 0.0  # known length of `audio` (sound files), 0 when unknown
    max_seconds: int = 600
    record: bool = False
    attempts: int = 1  # click-to-call redials of the first leg


@dataclass
class LegRecord:
    number: str
    status: str
    sip_code: int
    seconds: int = 0


@dataclass
class Recording:
    seconds: int
    wav: bytes
    agent: str = ""


@dataclass
class Outcome:
    status: str
    sip_code: int
    ring_seconds: float = 0.0  # start -> answer (or -> final failure)
    talk_seconds: int = 0  # answer -> hangup
    dtmf: str = ""
    hangup_by: str = ""  # caller (the flow or the platform ended it) / agent (the callee)
    recordings: list = field(default_factory=list)
    legs: list = field(default_factory=list)  # LegRecord of every bridged or second leg
    sms: list = field(default_factory=list)  # (to, sender, text)
    notes: str = ""
    first_leg: LegRecord | None = None  # click-to-call
