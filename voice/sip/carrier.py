"""A carrier stand-in for tests and load runs: a SIP endpoint on loopback whose behaviour is
chosen by the dialled number's last three digits (the simulator's table, docs/voice.md):

    486 busy · 503 unavailable · 404 no such number · 408 rings until CANCEL (then 487)
    anything else: rings, answers after `answer_after` seconds, records what it hears, sends a
    tone back while the call lasts, and presses the number's last digit (RFC 4733) `dtmf_after`
    seconds after answering; `scripts` maps a number to other digits.

`Carrier(...).start()` runs it in a thread; `recordings` maps Call-ID -> 16-bit PCM heard.

Like a real trunk it may challenge (`users={"name": "password"}`: INVITE and BYE get a 401, or
a 407 with `proxy=True`, until they carry a valid digest response; a wrong one gets 403), it
answers a retransmitted request with its last response, retransmits its 200 OK until the ACK
arrives (T1 doubling, up to T2), and `lose={"INVITE": 1, "ACK": 1, "BYE": 1}` drops that many
of each request as a lossy network would.
"""

import contextlib
import math
import re
import socket
import struct
import threading
import time

from voice.sip import digest
from voice.sip import message as sip
from voice.sip.rtp import Stream


def _tone(seconds, frequency=300.0, amplitude=0.2):
    samples = [
        int(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / 8000)) for i in range(int(8000 * seconds))
    ]
    return struct.pack(f"<{len(samples)}h", *samples)


class Carrier:
    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        answer_after=0.2,
        dtmf_after=0.6,
        scripts=None,
        talk=True,
        hang_up_after=None,
        users=None,
        proxy=False,
        realm="carrier.test",
        lose=None,
        t1=0.5,
        t2=4.0,
    ):
        self.hang_up_after = hang_up_after  # seconds after answering the callee hangs up (None: never)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()
        self.answer_after, self.dtmf_after = answer_after, dtmf_after
        self.scripts = scripts or {}
        self.talk = talk
        self.calls = {}  # call-id -> state dict
        self.recordings = {}
        self.invites = 0
        self.users, self.proxy, self.realm = users, proxy, realm
        self.nonces = set()
        self.lose = dict(lose or {})
        self.received = {}  # method -> requests received (lost ones included)
        self.challenged = 0
        self.t1, self.t2 = t1, t2
        self._last = {}  # (call-id, cseq) -> the last response sent, for retransmissions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._lock = threading.Lock()

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=2)
        for state in list(self.calls.values()):
            if state.get("rtp"):
                state["rtp"].close()
        self.sock.close()

    def _send(self, msg, addr):
        data = msg.encode()
        if msg.is_response:
            self._last[(msg.headers.get("call-id", ""), msg.headers.get("cseq", ""))] = data
        self.sock.sendto(data, addr)

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            msg = sip.parse(data)
            if msg.is_response:
                continue
            with self._lock:
                self.received[msg.method] = self.received.get(msg.method, 0) + 1
                if self.lose.get(msg.method, 0) > 0:
                    self.lose[msg.method] -= 1
                    continue  # lost on the way
            key = (msg.headers.get("call-id", ""), msg.headers.get("cseq", ""))
            if msg.method != "ACK" and key in self._last:
                self.sock.sendto(self._last[key], addr)  # a retransmission: the same answer
                continue
            if msg.method in ("INVITE", "BYE") and self.users is not None and not self._authorised(msg, addr):
                continue
            handler = getattr(self, f"_on_{msg.method.lower()}", None)
            if handler:
                handler(msg, addr)

    def _authorised(self, msg, addr):
        """Challenge a request without valid credentials (401/407 with a fresh nonce); a request
        that answered a challenge wrongly gets 403."""
        header = msg.headers.get("proxy-authorization" if self.proxy else "authorization", "")
        if header and digest.verify(header, users=self.users, realm=self.realm, nonces=self.nonces, method=msg.method):
            return True
        if header:
            self._send(sip.response(msg, 403, to_tag=sip.token()), addr)
            return False
        nonce = sip.token() + sip.token()
        self.nonces.add(nonce)
        self.challenged += 1
        challenge = sip.response(msg, 407 if self.proxy else 401, to_tag=sip.token())
        name = "proxy-authenticate" if self.proxy else "www-authenticate"
        challenge.headers[name] = f'Digest realm="{self.realm}", nonce="{nonce}", qop="auth", algorithm=MD5'
        self._send(challenge, addr)
        return False

    def _on_invite(self, msg, addr):
        call_id = msg.headers.get("call-id", "")
        if call_id in self.calls:  # the same call again (a retransmission answered above)
            return
        with self._lock:
            self.invites += 1
        number = sip.user_of(msg.uri)
        state = {
            "number": number,
            "invite": msg,
            "addr": addr,
            "tag": sip.token(),
            "answered": False,
            "done": threading.Event(),
            "invite_at": time.monotonic(),
        }
        self.calls[call_id] = state
        tail = number[-3:]
        immediate = {"486": 486, "503": 503, "404": 404}
        if tail in immediate:
            self._send(sip.response(msg, immediate[tail], to_tag=state["tag"]), addr)
            return
        self._send(sip.response(msg, 180, to_tag=state["tag"]), addr)
        if tail == "408":
            return  # rings until CANCEL
        threading.Thread(target=self._answer, args=(call_id,), daemon=True).start()

    def _answer(self, call_id):
        state = self.calls[call_id]
        time.sleep(self.answer_after)
        if state.get("cancelled"):
            return
        rtp = Stream(self.host)
        state["rtp"] = rtp
        rtp.remote = sip.media_address(state["invite"].body)
        state["answered"] = True
        contact = f"<sip:{state['number']}@{self.host}:{self.port}>"
        body = sip.sdp(self.host, rtp.port, "carrier")
        state["acked"] = threading.Event()
        ok = sip.response(state["invite"], 200, to_tag=state["tag"], body=body, contact=contact)
        self._send(ok, state["addr"])
        threading.Thread(target=self._until_acked, args=(state, ok), daemon=True).start()
        threading.Thread(target=self._talk, args=(call_id,), daemon=True).start()
        if self.hang_up_after is not None:
            threading.Timer(self.hang_up_after, self._hang_up, args=(call_id,)).start()

    def _hang_up(self, call_id):
        """The callee ends the call: a BYE to the caller's Contact."""
        state = self.calls.get(call_id)
        if state is None or state["done"].is_set() or self._stop.is_set():
            return
        invite = state["invite"]
        target = re.search(r"sip:[^@]+@([^:>;]+):(\d+)", invite.headers.get("contact", ""))
        if not target:
            return
        headers = {
            "via": f"SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{sip.token()}",
            "from": f"{invite.headers['to']};tag={state['tag']}",
            "to": invite.headers["from"],
            "call-id": call_id,
            "cseq": "1 BYE",
        }
        state["done"].set()
        with contextlib.suppress(OSError):
            self._send(
                sip.Message(f"BYE {invite.headers.get('contact', '').strip('<>')} SIP/2.0", headers),
                (target[1], int(target[2])),
            )
        if state.get("rtp"):
            self._keep_recording(call_id, state["rtp"])

    def _talk(self, call_id):
        state = self.calls[call_id]
        rtp = state["rtp"]
        digits = self.scripts.get(state["number"], state["number"][-1:])
        start = time.monotonic()
        pressed = False
        with contextlib.suppress(OSError):  # the stream closed under us: the call is over
            self._talk_until_bye(state, rtp, digits, start, pressed)

    def _talk_until_bye(self, state, rtp, digits, start, pressed):
        while not state["done"].is_set() and not self._stop.is_set():
            if not pressed and time.monotonic() - start >= self.dtmf_after:
                for digit in digits:
                    rtp.send_digit(digit)
                pressed = True
                continue
            if self.talk:
                rtp.send_pcm(_tone(0.1), stop=state["done"].is_set)
            else:
                rtp.send_silence(0.1, stop=state["done"].is_set)

    def _on_cancel(self, msg, addr):
        state = self.calls.get(msg.headers.get("call-id", ""))
        self._send(sip.response(msg, 200), addr)
        if state and not state["answered"]:
            state["cancelled"] = True
            self._send(sip.response(state["invite"], 487, to_tag=state["tag"]), addr)

    def _until_acked(self, state, ok):
        """RFC 3261 §13.3.1.4: the 2xx is sent again (T1 doubling up to T2) until its ACK."""
        interval, give_up = self.t1, time.monotonic() + 64 * self.t1
        while not state["acked"].wait(interval) and time.monotonic() < give_up and not self._stop.is_set():
            with contextlib.suppress(OSError):
                self._send(ok, state["addr"])
            interval = min(interval * 2, self.t2)

    def _on_ack(self, msg, addr):
        state = self.calls.get(msg.headers.get("call-id", ""))
        if state and state.get("acked"):
            state["acked"].set()

    def _on_bye(self, msg, addr):
        call_id = msg.headers.get("call-id", "")
        state = self.calls.get(call_id)
        self._send(sip.response(msg, 200), addr)
        if state:
            state["done"].set()
            if state.get("rtp"):
                threading.Thread(target=self._keep_recording, args=(call_id, state["rtp"]), daemon=True).start()

    def _keep_recording(self, call_id, rtp):
        time.sleep(0.05)  # the last packets in flight
        self.recordings[call_id] = bytes(rtp.heard)
        rtp.close()
