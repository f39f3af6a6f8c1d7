"""The simulator connector: calls that happen on a virtual clock, with no media and no waiting.

Behaviour is chosen by the dialled number's last three digits (the same table as the SIP
carrier stand-in, docs/voice.md):

    ...486  busy (486)                 ...503  congestion (503)
    ...408  rings, nobody answers      ...404  no such number (404)
    ...487  the caller gives up while it rings (487)
    else    answers after ANSWER_AFTER seconds; at every gather it presses the number's last
            digits (as many as the gather takes), e.g. 919800000021 presses "1" (or "21")

Speech takes SECONDS_PER_WORD per word, a sound file its length, a URL URL_SECONDS, a bridged
answer talks TALK_SECONDS, a record step hears RECORD_SECONDS (a generated tone is the
recording). Every call is cut at its `max_seconds`.
"""

import random

from voice.connectors.audio import tone
from voice.connectors.base import LegRecord, Outcome, Recording
from voice.flows import engine

ANSWER_AFTER = 2
RING_TIMEOUT = 30
CANCEL_AFTER = 5
SECONDS_PER_WORD = 0.4
URL_SECONDS = 5
TALK_SECONDS = 20
RECORD_SECONDS = 4
FAILURES = {"486": ("BUSY", 486, 1), "503": ("CONGESTION", 503, 0), "404": ("CHANUNAVAIL", 404, 0)}


def behaviour(number, ring_timeout=RING_TIMEOUT):
    """(status, sip code, seconds until it answers or fails) for a dialled number."""
    tail = str(number)[-3:]
    if tail in FAILURES:
        return FAILURES[tail]
    if tail == "408":
        return "NOANSWER", 408, ring_timeout
    if tail == "487":
        return "CANCEL", 487, CANCEL_AFTER
    return "ANSWER", 200, ANSWER_AFTER


class Clock:
    def __init__(self, limit):
        self.now = 0.0
        self.limit = limit

    def advance(self, seconds):
        self.now = min(self.now + seconds, self.limit)

    @property
    def out_of_time(self):
        return self.now >= self.limit


class SimulatedLeg:
    """The engine's `Leg` on the virtual clock."""

    def __init__(self, number, clock, *, sound_seconds=None):
        self.number = number
        self.clock = clock
        self.sound_seconds = sound_seconds or {}
        self.legs = []
        self.recordings = []
        self.sms = []

    @property
    def hung_up(self):
        return self.clock.out_of_time

    def play(self, audio):
        self.clock.advance(self.sound_seconds.get(audio, URL_SECONDS))

    def say(self, text, voice, language, gender=""):
        self.clock.advance(max(len(text.split()), 1) * SECONDS_PER_WORD)

    def pause(self, seconds):
        self.clock.advance(seconds)

    def gather(self, digits, timeout, finish_on_key):
        pressed = "".join(ch for ch in self.number if ch.isdigit())[-digits:]
        self.clock.advance(len(pressed) or timeout)
        return pressed

    def record(self, max_seconds):
        seconds = min(max_seconds, RECORD_SECONDS)
        self.clock.advance(seconds)
        self.recordings.append(Recording(seconds=seconds, wav=tone(seconds)))
        return f"recording-{len(self.recordings)}"

    def dial(self, numbers, timeout, record):
        results = [(n, *behaviour(n, timeout)) for n in numbers]
        answered = [r for r in results if r[1] == "ANSWER"]
        if answered:
            number, status, code, after = min(answered, key=lambda r: r[3])
            self.clock.advance(after)
            start = self.clock.now
            self.clock.advance(TALK_SECONDS)
            talk = int(self.clock.now - start)
            self.legs.append(LegRecord(number, status, code, talk))
            if record:
                self.recordings.append(Recording(seconds=talk, wav=tone(talk, frequency=330), agent=number))
            return engine.Dialled(status, number, talk, code)
        for number, status, code, _after in results:
            self.legs.append(LegRecord(number, status, code, 0))
        self.clock.advance(min(timeout, max(r[3] for r in results)))
        number, status, code, _ = results[0]
        return engine.Dialled(status, number, 0, code)

    def send_sms(self, to, sender, text):
        self.sms.append((to, sender, text))


def run(plan, *, completed=None, rng=None):
    """The Outcome of one call plan."""
    if plan.source == "C2C":
        return _click_to_call(plan, completed=completed, rng=rng)
    status, code, after = behaviour(plan.to)
    if status != "ANSWER":
        return Outcome(status=status, sip_code=code, ring_seconds=after)
    clock = Clock(plan.max_seconds)
    leg = SimulatedLeg(plan.to, clock, sound_seconds={plan.audio: plan.audio_seconds} if plan.audio_seconds else None)
    dtmf, ended = "", "caller"
    if plan.flow:
        trace = engine.run(plan.flow, plan.variables, leg, rng=rng or random.Random(plan.id), completed=completed)
        dtmf = trace.dtmf
        ended = "agent" if trace.ended_by == "callee" else "caller"
    else:
        leg.play(plan.audio)
    if plan.record and not leg.recordings:
        leg.recordings.append(Recording(seconds=max(int(clock.now), 1), wav=tone(max(int(clock.now), 1))))
    return Outcome(
        status="ANSWER",
        sip_code=200,
        ring_seconds=after,
        talk_seconds=max(int(round(clock.now)), 1),
        dtmf=dtmf,
        hangup_by=ended,
        recordings=leg.recordings,
        legs=leg.legs,
        sms=leg.sms,
        notes="cut at the maximum duration" if clock.out_of_time else "",
    )


def _click_to_call(plan, *, completed=None, rng=None):
    """Call `from` (redialled up to `attempts` times while unanswered), then `to` or the flow."""
    ring = 0.0
    for _ in range(max(plan.attempts, 1)):
        status, code, after = behaviour(plan.call_from)
        ring += after
        if status == "ANSWER" or status not in ("NOANSWER", "BUSY"):
            break
    first = LegRecord(plan.call_from, status, code)
    if status != "ANSWER":
        return Outcome(status=status, sip_code=code, ring_seconds=ring, first_leg=first, hangup_by="caller")
    clock = Clock(plan.max_seconds)
    leg = SimulatedLeg(plan.call_from, clock)
    if plan.flow:
        trace = engine.run(plan.flow, plan.variables, leg, rng=rng or random.Random(plan.id), completed=completed)
        dtmf, second = trace.dtmf, LegRecord("flow", "ANSWER", 200, int(clock.now))
    else:
        dialled = leg.dial([plan.to], RING_TIMEOUT, plan.record)
        dtmf = ""
        second = leg.legs.pop() if leg.legs else LegRecord(plan.to, dialled.status, dialled.sip_code)
    first.seconds = max(int(round(clock.now)), 1)
    return Outcome(
        status="ANSWER",
        sip_code=200,
        ring_seconds=ring,
        talk_seconds=first.seconds,
        dtmf=dtmf,
        hangup_by="agent",
        recordings=leg.recordings,
        legs=[second] if second.number != "flow" else leg.legs,
        sms=leg.sms,
        first_leg=first,
    )
