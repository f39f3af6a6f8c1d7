"""What a call is expected to cost, beside what it reserves.

A call reserves its longest duration (`VOICE_MAX_CALL_SECONDS` on every leg it may place) and
pays for what it lasted. The expected duration is the flow (or the sound) played on the
simulator's virtual clock to a callee who answers, listens to everything and presses nothing
(each gather waits its timeout; branches take their default): speech 0.4 s a word, a sound its
length, a URL 5 s, a bridged agent 20 s of talk. It is priced as a finished call is
(`pricing.charge` per leg, pulse rounding included), so the estimate and the bill differ only by
what the callee really does.
"""

from dataclasses import dataclass, field

from portal.core.errors import DomainError
from portal.core.phone_numbers import InvalidNumber, normalize
from voice.connectors import simulator
from voice.flows import engine
from voice.services import pricing


@dataclass
class Expectation:
    seconds: int  # the callee's leg, answered
    legs: list = field(default_factory=list)  # LegRecord of each bridged agent (billed too)


def expect(*, flow=None, audio="", audio_seconds=0.0, variables=None, max_seconds=600):
    """The expected call (see the module's docstring); never longer than `max_seconds`."""
    clock = simulator.Clock(max_seconds)
    leg = simulator.SimulatedLeg("", clock, sound_seconds={audio: audio_seconds} if audio_seconds else None)
    if flow is not None:
        engine.run(flow.definition, dict(variables or {}), leg)
    else:
        leg.play(audio)
    return Expectation(seconds=max(int(round(clock.now)), 1), legs=[x for x in leg.legs if x.seconds])


def cost(expectation, price, book):
    """The expected charge of one call at the callee's `price`; bridged agents at their own
    country's price (the call's own when theirs is unknown, as the CDR does)."""
    amount = pricing.charge(expectation.seconds, price.rate, price.pulse)
    for agent in expectation.legs:
        rate, pulse = price.rate, price.pulse
        try:
            agent_price = book.price(normalize(agent.number)[1])
            rate, pulse = agent_price.rate, agent_price.pulse
        except (InvalidNumber, DomainError):
            pass
        amount += pricing.charge(agent.seconds, rate, pulse)
    return amount
