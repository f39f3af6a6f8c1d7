"""The media worker's side of one call: a SIP user agent client on loopback that places the
call, plays prompts (TTS, sound files) as G.711 RTP in real time, hears DTMF (RFC 4733) and
records what the callee sends. It is the flow engine's `Leg` for SIP calls.

One call per `SipCall`; the worker runs many in threads. UDP without retransmission timers:
the carrier it talks to is on loopback (docs/voice.md says what a real trunk needs on top).
"""

import io
import queue
import select
import socket
import time
import wave

from voice.connectors.audio import RATE
from voice.connectors.base import LegRecord, Outcome, Recording, status_for_sip
from voice.flows import engine
from voice.sip import message as sip
from voice.sip.rtp import Stream


def _pcm_of_wav(data):
    with wave.open(io.BytesIO(data)) as source:
        return source.readframes(source.getnframes())


def _wav_of_pcm(pcm):
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(RATE)
        target.writeframes(pcm)
    return out.getvalue()


class SipCall:
    def __init__(
        self, *, carrier, bridge, to, speak, sound_pcm=None, host="127.0.0.1", ring_timeout=30, max_seconds=600
    ):
        self.carrier = carrier  # (host, port)
        self.bridge, self.to = bridge, to
        self.speak = speak  # (text, voice, language, gender) -> WAV bytes
        self.sound_pcm = sound_pcm or (lambda audio: b"")
        self.host = host
        self.ring_timeout, self.max_seconds = ring_timeout, max_seconds
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.call_id = f"{sip.token()}@{host}"
        self.tag = sip.token()
        self.to_header = f"<sip:{to}@{carrier[0]}:{carrier[1]}>"
        self.remote_tag = ""
        self.rtp = None
        self.hung_up = False
        self.answered_at = None
        self.recordings = []
        self.legs = []
        self.sms = []
        self.responses = queue.Queue()

    # SIP

    def _request(self, method, cseq, *, body="", branch=None):
        to = self.to_header + (f";tag={self.remote_tag}" if self.remote_tag and method != "CANCEL" else "")
        headers = {
            "via": f"SIP/2.0/UDP {self.host}:{self.sock.getsockname()[1]};branch=z9hG4bK{branch or sip.token()}",
            "max-forwards": "70",
            "from": f"<sip:{self.bridge}@{self.host}>;tag={self.tag}",
            "to": to,
            "call-id": self.call_id,
            "cseq": f"{cseq} {method}",
            "contact": f"<sip:{self.bridge}@{self.host}:{self.sock.getsockname()[1]}>",
        }
        if body:
            headers["content-type"] = "application/sdp"
        message = sip.Message(f"{method} sip:{self.to}@{self.carrier[0]}:{self.carrier[1]} SIP/2.0", headers, body)
        self.sock.sendto(message.encode(), self.carrier)

    def _next(self, timeout):
        """The next SIP message for this call (answers BYE from the callee itself)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            msg = sip.parse(data)
            if not msg.is_response and msg.method == "BYE":
                self.sock.sendto(sip.response(msg, 200).encode(), addr)
                self.hung_up = True
                continue
            return msg
        return None

    def place(self):
        """INVITE until a final answer: the SIP code (200 answered; 487 after our CANCEL)."""
        self.rtp = Stream(self.host)
        branch = sip.token()
        self._request("INVITE", 1, body=sip.sdp(self.host, self.rtp.port), branch=branch)
        self.started = time.monotonic()
        cancel_at = self.started + self.ring_timeout
        cancelled = False
        while True:
            msg = self._next(0.2)
            if msg is None:
                if not cancelled and time.monotonic() >= cancel_at:
                    self._request("CANCEL", 1, branch=branch)
                    cancelled = True
                if time.monotonic() > cancel_at + 5:
                    return 408
                continue
            if not msg.is_response or msg.method != "INVITE":
                continue
            if msg.code < 200:
                continue
            self.remote_tag = msg.headers.get("to", "").partition("tag=")[2].split(";")[0]
            if msg.code >= 300:
                self._request("ACK", 1, branch=branch)
                return 408 if cancelled and msg.code == 487 else msg.code
            self.rtp.remote = sip.media_address(msg.body)
            self._request("ACK", 1)
            self.answered_at = time.monotonic()
            return 200

    def hang_up(self):
        if not self.hung_up:
            self._request("BYE", 2)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                msg = self._next(0.2)
                if msg is not None and msg.is_response and msg.method == "BYE":
                    break
        self.close()

    def close(self):
        if self.rtp:
            self.rtp.close()
        self.sock.close()

    # the engine's Leg

    def _out_of_time(self):
        return self.answered_at is not None and time.monotonic() - self.answered_at >= self.max_seconds

    def _check_bye(self):
        """Answer a BYE waiting on the socket, without blocking."""
        if not select.select([self.sock], [], [], 0)[0]:
            return self.hung_up
        try:
            data, addr = self.sock.recvfrom(65535)
        except (TimeoutError, OSError):
            return self.hung_up
        msg = sip.parse(data)
        if not msg.is_response and msg.method == "BYE":
            self.sock.sendto(sip.response(msg, 200).encode(), addr)
            self.hung_up = True
        return self.hung_up

    def play(self, audio):
        self.rtp.send_pcm(self.sound_pcm(audio), stop=self._out_of_time)

    def say(self, text, voice, language, gender=""):
        self.rtp.send_pcm(_pcm_of_wav(self.speak(text, voice, language, gender)), stop=self._out_of_time)

    def pause(self, seconds):
        self.rtp.send_silence(seconds, stop=self._out_of_time)

    def gather(self, digits, timeout, finish_on_key):
        pressed = ""
        deadline = time.monotonic() + timeout
        while len(pressed) < digits and time.monotonic() < deadline and not self.hung_up:
            try:
                digit = self.rtp.digits.get(timeout=0.1)
            except queue.Empty:
                self.rtp.send_silence(0.02)
                continue
            if finish_on_key and digit == finish_on_key:
                break
            pressed += digit
        return pressed

    def record(self, max_seconds):
        start = len(self.rtp.heard)
        self.rtp.send_silence(min(max_seconds, 4), stop=self._out_of_time)
        pcm = bytes(self.rtp.heard[start:])
        self.recordings.append(Recording(seconds=max(len(pcm) // (2 * RATE), 1), wav=_wav_of_pcm(pcm)))
        return f"recording-{len(self.recordings)}"

    def dial(self, numbers, timeout, record):
        """Ring `numbers` in turn (the engine groups them by strategy; parallel groups ring the
        first here), and bridge the first that answers: RTP relayed both ways until either side
        hangs up or the call's time is up."""
        for number in numbers:
            other = SipCall(
                carrier=self.carrier,
                bridge=self.bridge,
                to=number,
                speak=self.speak,
                ring_timeout=timeout,
                max_seconds=self.max_seconds,
            )
            code = other.place()
            if code != 200:
                other.close()
                self.legs.append(LegRecord(number, status_for_sip(code), code, 0))
                continue
            start = time.monotonic()
            mine, theirs = len(self.rtp.heard), 0
            while not (self.hung_up or other.hung_up or self._out_of_time()):
                # 20 ms at a time: what each side said since the last turn goes to the other.
                chunk, mine = bytes(self.rtp.heard[mine:]), len(self.rtp.heard)
                back, theirs = bytes(other.rtp.heard[theirs:]), len(other.rtp.heard)
                if back:
                    self.rtp.forward(back)
                if chunk:
                    other.rtp.forward(chunk)
                time.sleep(0.02)
                self._check_bye()
                other._check_bye()
            seconds = max(int(round(time.monotonic() - start)), 1)
            if record:
                self.recordings.append(
                    Recording(seconds=seconds, wav=_wav_of_pcm(bytes(other.rtp.heard)), agent=number)
                )
            other.hang_up()
            self.legs.append(LegRecord(number, "ANSWER", 200, seconds))
            return engine.Dialled("ANSWER", number, seconds, 200)
        return engine.Dialled(self.legs[-1].status if self.legs else "CHANUNAVAIL", numbers[0] if numbers else "", 0, 0)

    def send_sms(self, to, sender, text):
        self.sms.append((to, sender, text))


def run(plan, *, carrier, speak, sound_pcm=None, ring_timeout=30):
    """Place one call for a CallPlan and run its flow or audio; the Outcome (its CDR)."""
    click_to_call = plan.source == "C2C"
    call = SipCall(
        carrier=carrier,
        bridge=plan.bridge,
        to=plan.call_from if click_to_call else plan.to,
        speak=speak,
        sound_pcm=sound_pcm,
        ring_timeout=ring_timeout,
        max_seconds=plan.max_seconds,
    )
    try:
        code = call.place()
        ring = time.monotonic() - call.started
        if code != 200:
            call.close()
            first = LegRecord(plan.call_from, status_for_sip(code), code) if click_to_call else None
            return Outcome(
                status=status_for_sip(code), sip_code=code, ring_seconds=ring, hangup_by="caller", first_leg=first
            )
        dtmf = ""
        first = LegRecord(plan.call_from, "ANSWER", 200) if click_to_call else None
        if plan.flow:
            trace = engine.run(plan.flow, plan.variables, call)
            dtmf = trace.dtmf
        elif click_to_call:
            call.dial([plan.to], ring_timeout, plan.record)
        else:
            call.play(plan.audio)
        talk = max(int(round(time.monotonic() - call.answered_at)), 1)
        if first:
            first.seconds = talk
        by = "agent" if call.hung_up else "caller"
        heard = bytes(call.rtp.heard)
        if plan.record and not call.recordings:
            call.recordings.append(Recording(seconds=max(len(heard) // (2 * RATE), 1), wav=_wav_of_pcm(heard)))
        call.hang_up()
        return Outcome(
            status="ANSWER",
            sip_code=200,
            ring_seconds=ring,
            talk_seconds=talk,
            dtmf=dtmf,
            hangup_by=by,
            recordings=call.recordings,
            legs=call.legs,
            sms=call.sms,
            first_leg=first,
        )
    except BaseException:
        call.close()
        raise
