"""The platform's inbound SIP side: calls to a virtual number (VMN) are answered and run the
number's inbound flow with real RTP audio. Part of the media worker (`voice_media --listen`).

Signalling answers at once from the socket thread; the database work (the call row with its
reservation, then its CDR) runs on a small pool so a burst of calls never opens a connection
each. Unknown numbers get 404.
"""

import contextlib
import socket
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from voice.connectors.base import Outcome
from voice.flows import engine
from voice.sip import message as sip
from voice.sip.caller import SipCall
from voice.sip.rtp import Stream
from voice.sip.timers import Timers

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


class InboundLeg(SipCall):
    """The engine's Leg for an answered inbound call (signalling belongs to the server). A bridge
    step places its legs to the trunk like an outgoing call's, with the VMN as the caller id."""

    def __init__(self, *, rtp, speak, sound_pcm, max_seconds, number, host, trunk=None):
        self.rtp = rtp
        self.speak, self.sound_pcm = speak, sound_pcm or (lambda audio: b"")
        self.max_seconds = max_seconds
        self.answered_at = time.monotonic()
        self.hung_up = False
        self.recordings, self.legs, self.sms = [], [], []
        self.bridge, self.host = number, host
        trunk = trunk or {}
        self.carrier = trunk.get("carrier")
        self.auth, self.timers = trunk.get("auth"), trunk.get("timers") or Timers()

    def _check_bye(self):
        return self.hung_up

    def dial(self, numbers, timeout, record):
        if self.carrier is None:  # no trunk configured: nobody to ring
            return engine.Dialled("CHANUNAVAIL", numbers[0] if numbers else "", 0, 0)
        return super().dial(numbers, timeout, record)


class InboundServer:
    def __init__(
        self,
        *,
        host="127.0.0.1",
        port=0,
        directory,
        accept,
        finish,
        speak,
        sound_pcm=None,
        db_workers=8,
        conference=None,
        trunk=None,
    ):
        """`directory(number)` -> (flow definition or "conference", max seconds) or None;
        `accept(number, caller)` -> the call row (written with its reservation); `finish(call,
        Outcome)` writes the CDR; `conference(number, pin, present roles)` -> (room key, role,
        reason) for conference numbers (services/conferences.admit); `trunk` ({"carrier": (host,
        port), "auth": (user, password) or None, "timers": Timers}) is where bridge steps ring."""
        self.conference = conference
        self.trunk = trunk
        self.rooms = {}
        self._rooms_lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()
        self.directory, self.accept, self.finish = directory, accept, finish
        self.speak, self.sound_pcm = speak, sound_pcm
        self.calls = {}
        self.db = ThreadPoolExecutor(max_workers=db_workers, thread_name_prefix="voice-inbound-db")
        self.answered = self.rejected = self.finished = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.db.shutdown(wait=True)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            msg = sip.parse(data)
            if msg.is_response:
                continue
            if msg.method == "INVITE":
                self._invite(msg, addr)
            elif msg.method == "BYE":
                self._bye(msg, addr)
            elif msg.method == "CANCEL":
                self.sock.sendto(sip.response(msg, 200).encode(), addr)

    def _invite(self, msg, addr):
        call_id = msg.headers.get("call-id", "")
        if call_id in self.calls:  # a retransmission: our answer was lost, send it again
            self.sock.sendto(self.calls[call_id]["answer"], addr)
            return
        number = sip.user_of(msg.uri)
        found = self.directory(number)
        if found is None:
            self.rejected += 1
            self.sock.sendto(sip.response(msg, 404, to_tag=sip.token()).encode(), addr)
            return
        flow, max_seconds = found
        rtp = Stream(self.host)
        rtp.remote = sip.media_address(msg.body)
        tag = sip.token()
        contact = f"<sip:{number}@{self.host}:{self.port}>"
        answer = sip.response(msg, 200, to_tag=tag, body=sip.sdp(self.host, rtp.port), contact=contact).encode()
        self.sock.sendto(answer, addr)
        self.answered += 1
        caller = sip.user_of(msg.headers.get("from", ""))
        leg = InboundLeg(
            rtp=rtp,
            speak=self.speak,
            sound_pcm=self.sound_pcm,
            max_seconds=max_seconds,
            number=number,
            host=self.host,
            trunk=self.trunk,
        )
        state = {
            "answer": answer,
            "leg": leg,
            "row": self.db.submit(self._accept, number, caller),
            "started": time.monotonic(),
            "caller": caller,
            "number": number,
        }
        self.calls[call_id] = state
        state["flow"] = threading.Thread(target=self._run, args=(call_id, flow), daemon=True)
        state["flow"].start()

    def _conference(self, state, leg):
        """Ask for the PIN (DTMF, `#` ends it), then join the room: a participant hears nothing
        until the moderator is in; everyone hears the mix of the others."""
        pin = leg.gather(8, 10, "#")
        try:
            key, role, reason = self.conference(state["number"], pin, self._roles(state["number"], pin))
        finally:
            connection.close()
        trace = engine.Trace(dtmf=pin)
        if role is None:
            leg.say(f"Sorry, {reason}.", "", "", "")
            return trace
        with self._rooms_lock:
            room = self.rooms.setdefault(key, Room())
        room.join(leg, role)
        while not leg.hung_up and not leg._out_of_time():
            time.sleep(0.1)
        room.leave(leg)
        return trace

    def _roles(self, number, pin):
        with self._rooms_lock:
            return [role for room in self.rooms.values() for _, role in room.members.items()]

    def _accept(self, number, caller):
        try:
            return self.accept(number, caller)
        finally:
            connection.close()  # pool threads keep no connection between calls

    def _run(self, call_id, flow):
        state = self.calls[call_id]
        leg = state["leg"]
        if flow == "conference":
            trace = self._conference(state, leg)
        else:
            trace = engine.run(flow, {"from": state.get("caller", "")}, leg) if flow else None
        while not leg.hung_up and not leg._out_of_time():  # the flow ended: hold until the caller hangs up
            leg.rtp.send_silence(0.1, stop=lambda: leg.hung_up)
        talk = max(int(round(time.monotonic() - state["started"])), 1)
        outcome = Outcome(
            status="ANSWER",
            sip_code=200,
            talk_seconds=talk,
            dtmf=trace.dtmf if trace else "",
            hangup_by="caller",
            recordings=leg.recordings,
            legs=leg.legs,
            sms=leg.sms,
        )
        leg.rtp.close()
        self.db.submit(self._finish, state["row"], outcome)

    def _finish(self, row, outcome):
        try:
            call = row.result()
            if call is not None:
                self.finish(call, outcome)
        finally:
            connection.close()
            self.finished += 1

    def _bye(self, msg, addr):
        self.sock.sendto(sip.response(msg, 200).encode(), addr)
        state = self.calls.get(msg.headers.get("call-id", ""))
        if state:
            state["leg"].hung_up = True


class Room:
    """A conference room: every 20 ms each member is sent the sum of what the others said."""

    def __init__(self):
        self.members = {}  # leg -> role
        self.positions = {}
        self.lock = threading.Lock()
        self._thread = None

    def join(self, leg, role):
        with self.lock:
            self.members[leg] = role
            self.positions[leg] = len(leg.rtp.heard)
            if self._thread is None:
                self._thread = threading.Thread(target=self._mix, daemon=True)
                self._thread.start()

    def leave(self, leg):
        with self.lock:
            self.members.pop(leg, None)
            self.positions.pop(leg, None)

    def _mix(self):
        while True:
            with self.lock:
                if not self.members:
                    self._thread = None
                    return
                open_ = "moderator" in self.members.values()
                chunks = {}
                for leg in self.members:
                    heard = leg.rtp.heard
                    chunks[leg] = bytes(heard[self.positions[leg] :])
                    self.positions[leg] = len(heard)
                members = list(self.members)
            if open_:
                for leg in members:
                    mixed = b""
                    for other in members:
                        if other is leg or not chunks[other]:
                            continue
                        piece = chunks[other]
                        if len(mixed) < len(piece):
                            mixed += b"\x00" * (len(piece) - len(mixed))
                        mixed = audioop.add(mixed[: len(piece)], piece, 2) + mixed[len(piece) :]
                    if mixed:
                        with contextlib.suppress(OSError):
                            leg.rtp.forward(mixed)
            time.sleep(0.02)
