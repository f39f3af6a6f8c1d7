"""The media worker's side of one call: a SIP user agent client on loopback that places the
call, plays prompts (TTS, sound files) as G.711 RTP in real time, hears DTMF (RFC 4733) and
records what the callee sends. It is the flow engine's `Leg` for SIP calls.

One call per `SipCall`; the worker runs many in threads. Requests are retransmitted over UDP
(RFC 3261 timers A/B/E/F, voice/sip/timers.py) and a trunk's digest challenge is answered
(voice/sip/digest.py).
"""

import io
import queue
import select
import socket
import threading
import time
import wave

from voice.connectors.audio import RATE
from voice.connectors.base import LegRecord, Outcome, Recording, status_for_sip
from voice.flows import engine
from voice.sip import digest
from voice.sip import message as sip
from voice.sip.rtp import Stream
from voice.sip.timers import Retransmission, Timers

# A BYE nobody confirms is given this long (Timer E retransmitting) before the call is closed
# anyway: the worker's thread is worth more than waiting out Timer F's 32 s.
BYE_WAIT_SECONDS = 8


def _cseq_number(msg):
    try:
        return int(msg.headers.get("cseq", "0").split()[0])
    except (ValueError, IndexError):
        return 0


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
        self,
        *,
        carrier,
        bridge,
        to,
        speak,
        sound_pcm=None,
        host="127.0.0.1",
        ring_timeout=30,
        max_seconds=600,
        auth=None,
        timers=None,
    ):
        self.carrier = carrier  # (host, port)
        self.bridge, self.to = bridge, to
        self.speak = speak  # (text, voice, language, gender) -> WAV bytes
        self.sound_pcm = sound_pcm or (lambda audio: b"")
        self.host = host
        self.ring_timeout, self.max_seconds = ring_timeout, max_seconds
        self.auth = auth  # (username, password) for the trunk's digest challenges, or None
        self.timers = timers or Timers()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.1)
        self.call_id = f"{sip.token()}@{host}"
        self.tag = sip.token()
        self.to_header = f"<sip:{to}@{carrier[0]}:{carrier[1]}>"
        self.request_uri = f"sip:{to}@{carrier[0]}:{carrier[1]}"
        self.remote_tag = ""
        self.cseq = 0
        self.ack = None  # the ACK of our 2xx, sent again if the 2xx is retransmitted
        self.rtp = None
        self.hung_up = False
        self.answered_at = None
        self.recordings = []
        self.legs = []
        self.sms = []
        self.responses = queue.Queue()

    # SIP

    def _request(self, method, cseq, *, body="", branch=None, extra=None):
        """Send a request; returns its bytes (for retransmission)."""
        to = self.to_header + (f";tag={self.remote_tag}" if self.remote_tag and method != "CANCEL" else "")
        headers = {
            "via": f"SIP/2.0/UDP {self.host}:{self.sock.getsockname()[1]};branch=z9hG4bK{branch or sip.token()}",
            "max-forwards": "70",
            "from": f"<sip:{self.bridge}@{self.host}>;tag={self.tag}",
            "to": to,
            "call-id": self.call_id,
            "cseq": f"{cseq} {method}",
            "contact": f"<sip:{self.bridge}@{self.host}:{self.sock.getsockname()[1]}>",
            **(extra or {}),
        }
        if body:
            headers["content-type"] = "application/sdp"
        data = sip.Message(f"{method} {self.request_uri} SIP/2.0", headers, body).encode()
        self.sock.sendto(data, self.carrier)
        return data

    def _answer_challenge(self, msg, method, tried):
        """The credentials header answering a 401/407, or None (no credentials, or they were
        refused already: a second challenge after answering one means they are wrong)."""
        if self.auth is None or tried:
            return None
        name, reply = (
            ("proxy-authenticate", "proxy-authorization") if msg.code == 407 else ("www-authenticate", "authorization")
        )
        challenge = digest.parse(msg.headers.get(name, ""))
        if not challenge:
            return None
        try:
            value = digest.authorization(
                challenge, username=self.auth[0], password=self.auth[1], method=method, uri=self.request_uri
            )
        except ValueError:
            return None
        return {reply: value}

    def _next(self, timeout):
        """The next SIP message for this call (answers BYE from the callee itself, and sends our
        ACK again when the callee retransmits its 2xx: our first ACK was lost)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            msg = sip.parse(data)
            if self._housekeeping(msg, addr):
                continue
            return msg
        return None

    def _housekeeping(self, msg, addr):
        """Handle what needs no caller decision; True when `msg` was consumed."""
        if not msg.is_response and msg.method == "BYE":
            self.sock.sendto(sip.response(msg, 200).encode(), addr)
            self.hung_up = True
            return True
        if msg.is_response and msg.method == "INVITE" and msg.code == 200 and self.ack is not None:
            self.sock.sendto(self.ack, self.carrier)
            return True
        return False

    def place(self, cancel=None):
        """INVITE until a final answer: the SIP code (200 answered; 408 when nobody answered in
        the ring timeout or the trunk never responded; 487 when `cancel` was set: another leg
        won). INVITE is retransmitted (Timer A) until a response, a digest challenge is
        answered once."""
        self.rtp = Stream(self.host)
        offer = sip.sdp(self.host, self.rtp.port)
        self.started = time.monotonic()
        cancel_at = self.started + self.ring_timeout
        credentials, tried = None, False
        while True:
            self.cseq += 1
            invite_cseq, branch = self.cseq, sip.token()
            data = self._request("INVITE", invite_cseq, body=offer, branch=branch, extra=credentials)
            code, challenge = self._invite_transaction(data, invite_cseq, branch, cancel_at, cancel)
            if challenge is None:
                return code
            credentials = self._answer_challenge(challenge, "INVITE", tried)
            if credentials is None:
                return code
            tried = True

    def _invite_transaction(self, data, cseq, branch, cancel_at, cancel):
        """(final code, the challenge response when it is a 401/407 worth answering)."""
        timer = Retransmission(self.timers, invite=True)
        cancelling, cancelled_by = None, None  # the CANCEL's retransmission, and why we sent it
        while True:
            msg = self._next(timer.wait() if not timer.provisional else 0.05)
            now = time.monotonic()
            if msg is None:
                if timer.due(now):
                    self.sock.sendto(data, self.carrier)
                if not timer.provisional and timer.timed_out(now):
                    return 408, None  # Timer B: no response at all
                wanted = "cancel" if cancel is not None and cancel.is_set() else "ring" if now >= cancel_at else None
                if wanted and cancelling is None and timer.provisional:  # CANCEL only once something rang
                    cancelling = Retransmission(self.timers, invite=False)
                    cancel_data, cancelled_by = self._request("CANCEL", cseq, branch=branch), wanted
                elif cancelling is not None and cancelling.due(now):
                    self.sock.sendto(cancel_data, self.carrier)
                if cancelling is not None and now > cancelling.gives_up_at:
                    return (487 if cancelled_by == "cancel" else 408), None
                if wanted and not timer.provisional and now > cancel_at + 5:
                    return 408, None
                continue
            if not msg.is_response or _cseq_number(msg) != cseq:
                continue
            if msg.method == "CANCEL":
                if cancelling is not None:
                    cancelling.gives_up_at = now + 64 * self.timers.t1  # answered: wait for the 487
                continue
            if msg.method != "INVITE":
                continue
            if msg.code < 200:
                timer.got_provisional()
                continue
            self.remote_tag = msg.headers.get("to", "").partition("tag=")[2].split(";")[0]
            if msg.code >= 300:
                self._request("ACK", cseq, branch=branch)  # the same transaction's ACK
                if msg.code in (401, 407) and cancelling is None:
                    return msg.code, msg
                if cancelled_by == "cancel":
                    return 487, None
                return 408 if cancelled_by == "ring" and msg.code == 487 else msg.code, None
            self.rtp.remote = sip.media_address(msg.body)
            self.ack = self._request("ACK", cseq)
            self.answered_at = time.monotonic()
            if cancelled_by == "cancel" or (cancel is not None and cancel.is_set()):
                self.hang_up(close=False)  # answered just as another leg won: end it at once
                return 487, None
            return 200, None

    def _transaction(self, method, *, cseq=None, timeout=None):
        """A non-INVITE request (BYE) with Timer E retransmissions until a final response (or
        Timer F); a digest challenge is answered once. Returns the final code (408: none)."""
        tried, credentials = False, None
        while True:
            if cseq is None:
                self.cseq += 1
            number = cseq or self.cseq
            data = self._request(method, number, extra=credentials)
            timer = Retransmission(self.timers, invite=False)
            if timeout is not None:
                timer.gives_up_at = min(timer.gives_up_at, time.monotonic() + timeout)
            code = self._await_final(data, timer, method, number)
            if code not in (401, 407) or tried:
                return code
            credentials = self._answer_challenge(self._challenge, method, tried)
            if credentials is None:
                return code
            tried, cseq = True, None

    def _await_final(self, data, timer, method, cseq):
        while not timer.timed_out():
            try:
                raw, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                raw = None
            if raw is None:
                if timer.due():
                    self.sock.sendto(data, self.carrier)
                continue
            msg = sip.parse(raw)
            if self._housekeeping(msg, addr) or not msg.is_response or msg.method != method:
                continue
            if _cseq_number(msg) != cseq:
                continue
            if msg.code < 200:
                timer.got_provisional()
                continue
            self._challenge = msg
            return msg.code
        return 408

    def hang_up(self, close=True):
        if not self.hung_up:
            self.hung_up = True
            self._transaction("BYE", timeout=BYE_WAIT_SECONDS)
        if close:
            self.close()

    def close(self):
        if self.rtp:
            self.rtp.close()
        self.sock.close()

    # the engine's Leg

    def _out_of_time(self):
        """Whether what is playing should stop: the callee hung up (SIP is read between frames, so
        a BYE or a retransmitted 2xx is handled mid-prompt) or the call's time is up."""
        if self._check_bye():
            return True
        return self.answered_at is not None and time.monotonic() - self.answered_at >= self.max_seconds

    def _check_bye(self):
        """Answer a BYE (or a retransmitted 2xx) waiting on the socket, without blocking."""
        if not select.select([self.sock], [], [], 0)[0]:
            return self.hung_up
        try:
            data, addr = self.sock.recvfrom(65535)
        except (TimeoutError, OSError):
            return self.hung_up
        self._housekeeping(sip.parse(data), addr)
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

    def _leg(self, number, timeout):
        return SipCall(
            carrier=self.carrier,
            bridge=self.bridge,
            to=number,
            speak=self.speak,
            host=self.host,
            ring_timeout=timeout,
            max_seconds=self.max_seconds,
            auth=self.auth,
            timers=self.timers,
        )

    def dial(self, numbers, timeout, record):
        """Ring a group of numbers together (the engine groups them by strategy: a parallel group
        is all of them, the others one at a time) and bridge the first that answers; the others
        are CANCELled (or, answering in the same instant, hung up at once)."""
        if not numbers:
            return engine.Dialled("CHANUNAVAIL", "", 0, 0)
        won = self._ring(numbers, timeout)
        if won is None:
            last = self.legs[-1]
            status = "NOANSWER" if any(leg.status == "NOANSWER" for leg in self.legs[-len(numbers) :]) else last.status
            return engine.Dialled(status, numbers[0], 0, 0)
        number, other = won
        seconds = self._relay(other)
        if record:
            self.recordings.append(Recording(seconds=seconds, wav=_wav_of_pcm(bytes(other.rtp.heard)), agent=number))
        other.hang_up()
        self.legs.append(LegRecord(number, "ANSWER", 200, seconds))
        return engine.Dialled("ANSWER", number, seconds, 200)

    def _ring(self, numbers, timeout):
        """Place a leg to every number at once; (number, leg) of the first to answer, or None.
        The losers' LegRecords (CANCEL for those we stopped) are appended to `self.legs`."""
        legs = {number: self._leg(number, timeout) for number in numbers}
        stop = threading.Event()  # set once a leg answered: the others are cancelled
        codes, winner, lock = {}, [], threading.Lock()

        def ring(number):
            code = legs[number].place(cancel=stop)
            with lock:
                if code == 200 and not winner:
                    winner.append(number)
                    stop.set()
                elif code == 200:  # answered too late: not bridged
                    legs[number].hang_up(close=False)
                    code = 487
                codes[number] = code

        threads = [threading.Thread(target=ring, args=(n,), daemon=True) for n in numbers]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) and not self._check_bye():
            if self.rtp.remote:
                self.rtp.send_silence(0.02)  # keep the caller's media flowing while it rings
            else:
                time.sleep(0.02)
        if self.hung_up:  # the caller gave up while the legs rang
            stop.set()
        for thread in threads:
            thread.join()
        for number in numbers:
            if winner and number == winner[0]:
                continue
            code = codes.get(number, 487)
            self.legs.append(LegRecord(number, "CANCEL" if code == 487 else status_for_sip(code), code, 0))
            legs[number].close()
        if not winner or self.hung_up:
            if winner:
                legs[winner[0]].hang_up()
                self.legs.append(LegRecord(winner[0], "CANCEL", 487, 0))
            return None
        return winner[0], legs[winner[0]]

    def _relay(self, other):
        """RTP relayed both ways until either side hangs up or the call's time is up; seconds."""
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
        return max(int(round(time.monotonic() - start)), 1)

    def send_sms(self, to, sender, text):
        self.sms.append((to, sender, text))


def run(plan, *, carrier, speak, sound_pcm=None, ring_timeout=30, auth=None, timers=None):
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
        auth=auth,
        timers=timers,
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
