"""SIP messages (RFC 3261) as the media worker and the carrier stand-in exchange them on loopback:
just enough to build and read requests, responses and a G.711 SDP offer/answer."""

import re
import secrets
from dataclasses import dataclass, field

SIP_VERSION = "SIP/2.0"
REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
}
PCMU, TELEPHONE_EVENT = 0, 101


def token():
    return secrets.token_hex(6)


@dataclass
class Message:
    first: str  # request line or status line
    headers: dict = field(default_factory=dict)  # lower-case name -> value
    body: str = ""

    @property
    def is_response(self):
        return self.first.startswith(SIP_VERSION)

    @property
    def code(self):
        return int(self.first.split()[1]) if self.is_response else 0

    @property
    def method(self):
        return self.headers.get("cseq", " ").split()[-1] if self.is_response else self.first.split()[0]

    @property
    def uri(self):
        return self.first.split()[1]

    def encode(self):
        lines = [self.first, *(f"{_title(k)}: {v}" for k, v in self.headers.items() if k != "content-length")]
        lines.append(f"Content-Length: {len(self.body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + self.body).encode()


def _title(name):
    return {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate"}.get(
        name, "-".join(part.capitalize() for part in name.split("-"))
    )


def parse(data):
    text = data.decode(errors="replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Message(lines[0], headers, body)


def user_of(uri):
    match = re.search(r"sip:([^@;>]+)@", uri)
    return match.group(1) if match else ""


def response(request, code, *, to_tag="", body="", contact=""):
    headers = {k: request.headers[k] for k in ("via", "from", "to", "call-id", "cseq") if k in request.headers}
    if to_tag and "tag=" not in headers.get("to", ""):
        headers["to"] = f"{headers['to']};tag={to_tag}"
    if contact:
        headers["contact"] = contact
    if body:
        headers["content-type"] = "application/sdp"
    return Message(f"{SIP_VERSION} {code} {REASONS.get(code, 'Unknown')}", headers, body)


def sdp(host, port, session="portal"):
    return (
        f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns={session}\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {PCMU} {TELEPHONE_EVENT}\r\n"
        f"a=rtpmap:{PCMU} PCMU/8000\r\na=rtpmap:{TELEPHONE_EVENT} telephone-event/8000\r\n"
        f"a=fmtp:{TELEPHONE_EVENT} 0-15\r\n"
        "a=sendrecv\r\n"
    )


def media_address(body):
    host = re.search(r"c=IN IP4 (\S+)", body)
    port = re.search(r"m=audio (\d+)", body)
    return (host.group(1), int(port.group(1))) if host and port else None
