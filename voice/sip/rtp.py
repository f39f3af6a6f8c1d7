"""RTP for G.711 µ-law (payload 0) and RFC 4733 DTMF events (payload 101): a paced sender and a
receiver thread that keeps the audio it hears and the digits pressed."""

import queue
import secrets
import socket
import struct
import threading
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

FRAME = 160  # 20 ms at 8 kHz
DIGITS = "0123456789*#"


class Stream:
    """One RTP session on a local UDP port."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.remote = None
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.timestamp = secrets.randbits(32)
        self.heard = bytearray()  # 16-bit linear PCM of everything received
        self.digits = queue.Queue()
        self._seen_events = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _packet(self, payload_type, payload, marker=False):
        header = struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | payload_type, self.seq, self.timestamp, self.ssrc
        )
        self.seq = (self.seq + 1) & 0xFFFF
        return header + payload

    def send_pcm(self, pcm, stop=None):
        """Send 16-bit linear PCM in real time (20 ms frames); `stop()` true ends it early."""
        ulaw = audioop.lin2ulaw(pcm, 2)
        start = time.monotonic()
        for index in range(0, len(ulaw), FRAME):
            if stop and stop():
                return
            if self.remote:
                self.sock.sendto(self._packet(0, ulaw[index : index + FRAME]), self.remote)
            self.timestamp = (self.timestamp + FRAME) & 0xFFFFFFFF
            delay = start + (index // FRAME + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def forward(self, pcm):
        """Send PCM that arrives in real time from elsewhere (a bridged leg) without pacing it."""
        ulaw = audioop.lin2ulaw(pcm, 2)
        for index in range(0, len(ulaw), FRAME):
            if self.remote:
                self.sock.sendto(self._packet(0, ulaw[index : index + FRAME]), self.remote)
            self.timestamp = (self.timestamp + len(ulaw[index : index + FRAME])) & 0xFFFFFFFF

    def send_silence(self, seconds, stop=None):
        self.send_pcm(b"\x00\x00" * int(8000 * seconds), stop=stop)

    def send_digit(self, digit):
        """One RFC 4733 event: 3 packets while pressed, 3 end packets, one timestamp."""
        event = DIGITS.index(digit)
        for i in range(6):
            end = i >= 3
            duration = 160 * (min(i, 3) + 1)
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            if self.remote:
                self.sock.sendto(self._packet(101, payload, marker=i == 0), self.remote)
            time.sleep(0.02)
        self.timestamp = (self.timestamp + 640) & 0xFFFFFFFF

    def _receive(self):
        while not self._stop.is_set():
            try:
                data, _ = self.sock.recvfrom(2048)
            except (TimeoutError, OSError):
                continue
            if len(data) < 12:
                continue
            payload_type = data[1] & 0x7F
            timestamp = struct.unpack("!I", data[4:8])[0]
            payload = data[12:]
            if payload_type == 0:
                self.heard += audioop.ulaw2lin(payload, 2)
            elif payload_type == 101 and len(payload) >= 4 and payload[1] & 0x80 and timestamp not in self._seen_events:
                self._seen_events.add(timestamp)
                self.digits.put(DIGITS[payload[0]] if payload[0] < len(DIGITS) else "")

    def close(self):
        self._stop.set()
        self._thread.join(timeout=1)
        self.sock.close()
