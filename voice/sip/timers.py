"""RFC 3261 §17.1 client transaction timers over UDP.

INVITE: Timer A retransmits the request from T1, doubling, until any response; Timer B gives up
after 64·T1 without one (taken as 408). Non-INVITE (BYE, CANCEL): Timer E retransmits from T1,
doubling up to T2 (and at T2 once a provisional arrived); Timer F gives up after 64·T1.
"""

import time
from dataclasses import dataclass

T1, T2 = 0.5, 4.0  # seconds: the RFC's defaults (round-trip estimate, maximum interval)


@dataclass
class Timers:
    t1: float = T1
    t2: float = T2


class Retransmission:
    """When to send a request again, and when its transaction has timed out."""

    def __init__(self, timers, *, invite, now=None):
        now = time.monotonic() if now is None else now
        self.timers, self.invite = timers, invite
        self.interval = timers.t1
        self.next_at = now + self.interval
        self.gives_up_at = now + 64 * timers.t1  # Timer B / Timer F
        self.provisional = False

    def due(self, now=None):
        """True (and the next one scheduled) when the request should be sent again now."""
        now = time.monotonic() if now is None else now
        if now < self.next_at or (self.invite and self.provisional):
            return False
        self.interval = self.interval * 2 if self.invite else min(self.interval * 2, self.timers.t2)
        self.next_at = now + self.interval
        return True

    def got_provisional(self):
        self.provisional = True
        if not self.invite:
            self.interval = self.timers.t2

    def timed_out(self, now=None):
        return (time.monotonic() if now is None else now) >= self.gives_up_at

    def wait(self, now=None, cap=0.2):
        """How long a receive may block before something is due."""
        now = time.monotonic() if now is None else now
        return max(0.001, min(cap, self.next_at - now))
