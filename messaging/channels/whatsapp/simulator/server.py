"""The Cloud API simulator: a small HTTP server on loopback that behaves like the Graph API over
HTTP, for development, the demo and the tests. Standard library plus httpx; no Django.

Provider side (the shapes of Meta's OpenAPI description):
  POST /{version}/{phone-number-id}/messages        → {"messaging_product", "contacts", "messages": [{"id": wamid}]}
  POST /{version}/{waba-id}/message_templates        → {"id", "status": "PENDING", "category"}; review later
  POST /{version}/{phone-number-id}/media            → {"id"}
Errors are `{"error": {"message", "type", "code", "error_data": {"details"}, "fbtrace_id"}}`: a
configurable mix (131026, 131049, 131056, 131053 …), throttling with 130429 past `rate_per_number`,
and 190 for a missing token.

Webhooks (signed `X-Hub-Signature-256` with `app_secret`) go to `webhook_url`: statuses sent →
delivered → read after configurable latencies and ratios (read without delivered, duplicates, out
of order, failures), several statuses of one number batched into one POST as the provider does;
template review outcomes; inbound customer messages on demand.

Control endpoints (tests and the demo): POST /_control/inbound {phone_number_id, from, type, text
or payload, profile_name}; POST /_control/config {...} changes settings at run time; GET
/_control/sent (the last messages taken); GET /_control/health.
"""

import argparse
import hashlib
import heapq
import hmac
import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

DEFAULTS = {
    "webhook_url": "",
    "app_secret": "simulator-app-secret",  # noqa: S105 - the local stand-in's own, not a credential
    "sent_after": 0.05,  # seconds after acceptance
    "delivered_after": 0.2,
    "read_after": 0.5,
    "delivered_ratio": 0.97,  # of the messages not failed
    "read_ratio": 0.6,  # of the delivered
    "read_without_delivered_ratio": 0.02,
    "duplicate_ratio": 0.05,
    "out_of_order_ratio": 0.05,
    "errors": {"131026": 0.01, "131049": 0.005},  # code -> share of messages failing with it (status webhook)
    "refuse": {},  # code -> share of requests refused at once (HTTP 400)
    "rate_per_number": 1000,  # messages per second before 130429
    "review_seconds": 1.0,
    "approve_ratio": 1.0,  # templates named reject_* are always rejected
    "batch_size": 100,  # statuses per webhook POST at most
    "webhook_concurrency": 4,  # webhook POSTs in flight at once (they may overtake each other)
    "seed": None,
}
TITLES = {
    "130429": "Rate limit hit",
    "131026": "Message undeliverable",
    "131047": "Re-engagement message",
    "131049": "This message was not delivered to maintain healthy ecosystem engagement.",
    "131050": "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages.",
    "131053": "Media upload error",
    "131056": "(Business Account, Consumer Account) pair rate limit hit",
    "190": "Invalid OAuth access token",
}
PATH = re.compile(r"^/(?P<version>v\d+\.\d+)/(?P<node>[^/]+)/(?P<edge>messages|message_templates|media)$")


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def error_body(code, message=""):
    return {
        "error": {
            "message": message or TITLES.get(str(code), "Error"),
            "type": "OAuthException",
            "code": int(code),
            "error_data": {"messaging_product": "whatsapp", "details": message or TITLES.get(str(code), "")},
            "fbtrace_id": uuid.uuid4().hex[:20],
        }
    }


class Simulator:
    """The provider's state: what it accepted, what it still has to report, its rate counters."""

    def __init__(self, **config):
        self.config = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
        self.random = random.Random(self.config["seed"])  # noqa: S311 - simulation
        self.lock = threading.Lock()
        self.due = []  # heap of (time, seq, kind, phone_number_id or waba id, item)
        self.seq = itertools.count()
        self.wake = threading.Condition(self.lock)
        self.sent = deque(maxlen=1000)
        self.counts = {
            "accepted": 0,
            "refused": 0,
            "throttled": 0,
            "webhooks": 0,
            "statuses": 0,
            "webhook_errors": 0,
            "media": 0,
        }
        self.windows = {}  # phone_number_id -> (second, count)
        self.stopping = False
        self.http = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=32, max_keepalive_connections=32))
        self.posting = ThreadPoolExecutor(max_workers=max(1, int(self.config["webhook_concurrency"])))
        self.sender = threading.Thread(target=self._deliver_loop, name="webhooks", daemon=True)
        self.sender.start()

    # -- provider API ------------------------------------------------------------------------------
    def _throttled(self, phone_number_id):
        second = int(time.time())
        with self.lock:
            at, count = self.windows.get(phone_number_id, (second, 0))
            count = count + 1 if at == second else 1
            self.windows[phone_number_id] = (second, count)
        return count > self.config["rate_per_number"]

    def _draw(self, shares):
        roll = self.random.random()
        for code, share in shares.items():
            if roll < share:
                return str(code)
            roll -= share
        return None

    def message(self, phone_number_id, body):
        to = str(body.get("to") or "")
        kind = body.get("type")
        if body.get("messaging_product") != "whatsapp" or not to or not kind or kind not in body:
            return 400, error_body(
                100, "Invalid parameter: messaging_product, to, type and the type object are required."
            )
        if self._throttled(phone_number_id):
            self.counts["throttled"] += 1
            return 400, error_body(130429)
        refused = self._draw(self.config["refuse"])
        if refused:
            self.counts["refused"] += 1
            return 400, error_body(refused)
        wamid = "wamid." + uuid.uuid4().hex.upper()
        wa_id = re.sub(r"\D", "", to)
        self.counts["accepted"] += 1
        self.sent.append({"id": wamid, "phone_number_id": phone_number_id, "to": wa_id, "type": kind, "body": body})
        self._plan_statuses(phone_number_id, wamid, wa_id, body)
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": wa_id}],
            "messages": [{"id": wamid}],
        }

    def _plan_statuses(self, phone_number_id, wamid, wa_id, body):
        c, r = self.config, self.random
        now = time.time()
        category = "marketing" if body.get("type") == "template" else "service"
        plan = [("sent", c["sent_after"], None)]
        failure = self._draw(c["errors"])
        if failure:
            plan.append(("failed", c["delivered_after"], failure))
        elif r.random() < c["delivered_ratio"]:
            read = r.random() < c["read_ratio"]
            if not (read and r.random() < c["read_without_delivered_ratio"]):
                plan.append(("delivered", c["delivered_after"], None))
            if read:
                plan.append(("read", c["read_after"], None))
        if r.random() < c["out_of_order_ratio"] and len(plan) > 1:
            # The later status overtakes the earlier one.
            (a, ta, ea), (b, tb, eb) = plan[0], plan[1]
            plan[0], plan[1] = (a, tb, ea), (b, ta, eb)
        if r.random() < c["duplicate_ratio"]:
            status, after, error = r.choice(plan)
            plan.append((status, after + 0.05, error))
        with self.wake:
            for status, after, error in plan:
                item = {"id": wamid, "status": status, "recipient_id": wa_id, "error": error, "category": category}
                heapq.heappush(self.due, (now + after, next(self.seq), "status", phone_number_id, item))
            self.wake.notify()

    def template(self, waba_id, body):
        name, category = str(body.get("name") or ""), str(body.get("category") or "")
        if not name or not category or not isinstance(body.get("components"), list):
            return 400, error_body(100, "Invalid parameter: name, category and components are required.")
        template_id = str(self.random.randrange(10**14, 10**15))
        approved = not name.startswith("reject") and self.random.random() < self.config["approve_ratio"]
        outcome = {
            "event": "APPROVED" if approved else "REJECTED",
            "message_template_id": int(template_id),
            "message_template_name": name,
            "message_template_language": body.get("language") or "en",
            "reason": "NONE" if approved else "INVALID_FORMAT",
        }
        with self.wake:
            due = time.time() + self.config["review_seconds"]
            heapq.heappush(self.due, (due, next(self.seq), "template", waba_id, outcome))
            self.wake.notify()
        return 200, {"id": template_id, "status": "PENDING", "category": category.upper()}

    def inbound(self, spec):
        """A customer's message to a business number (the control endpoint)."""
        phone_number_id = str(spec.get("phone_number_id") or "")
        customer = re.sub(r"\D", "", str(spec.get("from") or ""))
        if not phone_number_id or not customer:
            return 400, {"error": "phone_number_id and from are required"}
        kind = spec.get("type") or "text"
        message = {
            "from": customer,
            "id": "wamid." + uuid.uuid4().hex.upper(),
            "timestamp": str(int(time.time())),
            "type": kind,
        }
        if kind == "text":
            message["text"] = {"body": str(spec.get("text") or "")}
        elif kind == "contacts":
            message["contacts"] = spec.get("payload") or []
        else:
            message[kind] = spec.get("payload") or {}
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": spec.get("display_phone_number", ""),
                "phone_number_id": phone_number_id,
            },
            "contacts": [{"profile": {"name": spec.get("profile_name") or "Customer"}, "wa_id": customer}],
            "messages": [message],
        }
        delivered = self._post(
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": spec.get("waba_id", ""), "changes": [{"value": value, "field": "messages"}]}],
            }
        )
        return (200 if delivered else 502), {"id": message["id"], "delivered": delivered}

    # -- webhooks ----------------------------------------------------------------------------------
    def _post(self, payload):
        url = self.config["webhook_url"]
        if not url:
            return False
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(self.config["app_secret"], body)}
        for attempt in range(3):
            try:
                response = self.http.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 300:
                with self.lock:
                    self.counts["webhooks"] += 1
                return True
            time.sleep(0.2 * (attempt + 1))
        self.counts["webhook_errors"] += 1
        return False

    def _deliver_loop(self):
        while not self.stopping:
            with self.wake:
                while not self.due or self.due[0][0] > time.time():
                    timeout = (self.due[0][0] - time.time()) if self.due else 0.5
                    self.wake.wait(max(0.001, min(timeout, 0.5)))
                    if self.stopping:
                        return
                ready = []
                now = time.time()
                while self.due and self.due[0][0] <= now and len(ready) < self.config["batch_size"] * 10:
                    ready.append(heapq.heappop(self.due))
            self._send_ready(ready)

    def _send_ready(self, ready):
        statuses = {}
        for _, _, kind, node, item in ready:
            if kind == "template":
                self._post({"object": "whatsapp_business_account", "entry": [{"id": node, "time": int(time.time()),
                            "changes": [{"value": item, "field": "message_template_status_update"}]}]})  # fmt: skip
            else:
                statuses.setdefault(node, []).append(item)
        posts = []
        for phone_number_id, items in statuses.items():
            for start in range(0, len(items), self.config["batch_size"]):
                chunk = items[start : start + self.config["batch_size"]]
                posts.append(self.posting.submit(self._post_statuses, phone_number_id, chunk))
        wait(posts)

    def _post_statuses(self, phone_number_id, chunk):
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "", "phone_number_id": phone_number_id},
            "statuses": [self._status(item) for item in chunk],
        }
        change = {"value": value, "field": "messages"}
        if self._post({"object": "whatsapp_business_account", "entry": [{"id": "", "changes": [change]}]}):
            with self.lock:
                self.counts["statuses"] += len(chunk)

    @staticmethod
    def _status(item):
        status = {
            "id": item["id"],
            "status": item["status"],
            "timestamp": str(int(time.time())),
            "recipient_id": item["recipient_id"],
        }
        if item["status"] in ("sent", "delivered"):
            status["pricing"] = {"billable": True, "pricing_model": "PMP", "category": item["category"]}
        if item["error"]:
            code = item["error"]
            status["errors"] = [
                {"code": int(code), "title": TITLES.get(code, "Error"), "message": TITLES.get(code, "Error")}
            ]
        return status

    def pending(self):
        with self.lock:
            return len(self.due)

    def stop(self):
        self.stopping = True
        with self.wake:
            self.wake.notify_all()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the connector reuses its connections
    # An answer is written as its head, then its body: with Nagle's algorithm the body waits for
    # the client's delayed ACK of the head (up to 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    simulator: Simulator = None

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass

    def _reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Type", "").startswith("multipart/"):
            return {"multipart": True}
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def do_GET(self):  # noqa: N802 - the stdlib's name
        sim = self.simulator
        if self.path == "/_control/health":
            return self._reply(200, {"status": "ok", "pending": sim.pending(), **sim.counts})
        if self.path == "/_control/sent":
            return self._reply(200, {"data": list(sim.sent)})
        return self._reply(404, error_body(100, "Unknown path."))

    def do_POST(self):  # noqa: N802
        sim = self.simulator
        if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return self._media_upload()
        body = self._body()
        if body is None:
            return self._reply(400, error_body(100, "The body is not a JSON object."))
        if self.path == "/_control/inbound":
            return self._reply(*sim.inbound(body))
        if self.path == "/_control/config":
            with sim.lock:
                sim.config.update({k: v for k, v in body.items() if k in DEFAULTS})
            return self._reply(200, {"config": sim.config})
        match = PATH.match(self.path.split("?", 1)[0])
        if match is None:
            return self._reply(404, error_body(100, "Unknown path."))
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._reply(401, error_body(190))
        edge, node = match["edge"], match["node"]
        if edge == "messages":
            return self._reply(*sim.message(node, body))
        if edge == "message_templates":
            return self._reply(*sim.template(node, body))
        return self._reply(200, {"id": str(sim.random.randrange(10**15, 10**16))})

    def _media_upload(self):
        """`POST /{version}/{phone-number-id}/media` as the Graph API takes it: multipart with
        `messaging_product`, `type` and the `file` part."""
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = PATH.match(self.path.split("?", 1)[0])
        if match is None or match["edge"] != "media":
            return self._reply(404, error_body(100, "Unknown path."))
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self._reply(401, error_body(190))
        if b'name="messaging_product"' not in raw or b'name="file"' not in raw:
            return self._reply(400, error_body(100, "messaging_product and file are required."))
        sim = self.simulator
        with sim.lock:
            sim.counts["media"] = sim.counts.get("media", 0) + 1
        return self._reply(200, {"id": str(sim.random.randrange(10**15, 10**16))})


def serve(host="127.0.0.1", port=0, **config):
    """Start the simulator in this process (threads); returns (server, simulator). Tests use this
    only through a subprocess; `main()` is the process `runportal` and the benchmarks start."""
    simulator = Simulator(**config)
    handler = type("BoundHandler", (Handler,), {"simulator": simulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, simulator


def main(argv=None):
    parser = argparse.ArgumentParser(description="WhatsApp Cloud API simulator (loopback only).")
    parser.add_argument("--host", default=os.environ.get("WHATSAPP_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WHATSAPP_SIMULATOR_PORT", "8790")))
    parser.add_argument("--webhook-url", default=os.environ.get("WHATSAPP_SIMULATOR_WEBHOOK_URL", ""))
    parser.add_argument("--app-secret", default=os.environ.get("WHATSAPP_SIMULATOR_APP_SECRET", DEFAULTS["app_secret"]))
    parser.add_argument("--config", default=os.environ.get("WHATSAPP_SIMULATOR_CONFIG", ""), help="JSON of settings")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the simulator listens on loopback only")
    config = json.loads(args.config) if args.config else {}
    server, simulator = serve(args.host, args.port, webhook_url=args.webhook_url, app_secret=args.app_secret, **config)
    print(f"WhatsApp Cloud API simulator on http://{args.host}:{server.server_address[1]}", flush=True)  # noqa: T201
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        server.server_close()
