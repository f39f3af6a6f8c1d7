"""An authoritative DNS server on loopback that serves the records a test publishes (dnslib),
so domain checks run the real resolver (dnspython) against real DNS packets."""

import threading

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSServer

RDATA = {"A": A, "AAAA": AAAA, "CNAME": CNAME, "TXT": TXT}


class Zone(BaseResolver):
    def __init__(self):
        self.records = {}  # (name, type) -> [value, ...]
        self.lock = threading.Lock()

    def publish(self, name, rtype, *values):
        with self.lock:
            self.records[(name.rstrip(".").lower(), rtype)] = list(values)

    def unpublish(self, name, rtype):
        with self.lock:
            self.records.pop((name.rstrip(".").lower(), rtype), None)

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        rtype = QTYPE[request.q.qtype]
        with self.lock:
            values = list(self.records.get((name, rtype), []))
            known = any(key[0] == name for key in self.records)
        for value in values:
            if rtype == "TXT":  # one TXT string holds 255 bytes: longer values (DKIM keys) are split
                value = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
            reply.add_answer(RR(request.q.qname, request.q.qtype, rdata=RDATA[rtype](value), ttl=60))
        if not values and not known:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def start():
    zone = Zone()
    server = DNSServer(zone, port=0, address="127.0.0.1")
    server.start_thread()
    port = server.server.server_address[1]
    return zone, server, port
