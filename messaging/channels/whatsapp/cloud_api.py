"""The WhatsApp Cloud API over HTTP, in the Graph API's shapes (checked against Meta's published
OpenAPI description, `business-messaging-api_v23.0.yaml`): messages are POSTed to
`{base}/{version}/{phone-number-id}/messages` and answered `{"messaging_product", "contacts",
"messages": [{"id": "wamid..."}]}`; templates to `{base}/{version}/{waba-id}/message_templates`
(`{"id", "status", "category"}`); errors are `{"error": {"message", "type", "code", "error_data"}}`.

The base URL, version and token come from the business number, so the same client talks to the
real Graph API or to the simulator (`messaging/channels/whatsapp/simulator`)."""

import asyncio
import hashlib
import hmac
import json
import os
import threading

import httpx
from django.conf import settings

from messaging.channels.whatsapp import errors as provider_errors
from portal.core.outbound import PinnedPool

_clients = {}
_lock = threading.Lock()


class ProviderError(Exception):
    def __init__(self, code, message="", status=None):
        self.code, self.status = str(code or "131000"), status
        self.reason = provider_errors.explain(self.code) or message
        super().__init__(f"{self.code}: {message or self.reason}")


def http():
    """One keep-alive client per process (httpx clients are thread-safe)."""
    with _lock:
        client = _clients.get("shared")
        if client is None:
            limits = httpx.Limits(
                max_connections=settings.WHATSAPP["connections"],
                max_keepalive_connections=settings.WHATSAPP["connections"],
            )
            client = _clients["shared"] = httpx.Client(timeout=settings.WHATSAPP["timeout_seconds"], limits=limits)
        return client


def sign(secret, body):
    """The `X-Hub-Signature-256` header of a webhook body signed with the app secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret, body, header):
    return bool(header) and hmac.compare_digest(sign(secret, body), header.strip())


def _text_params(values):
    return [{"type": "text", "text": v} for v in values]


def template_components(sent):
    """The Graph API `template.components` of a send (the simple or the HSM form)."""
    if "components" in sent:
        out = []
        for c in sent["components"]:
            component = {"type": c["type"], "parameters": c["parameters"]}
            if c["type"] == "button":
                component.update(sub_type=c["sub_type"], index=c["index"])
            out.append(component)
        return out
    components = []
    header = sent.get("header")
    if header:
        if header["type"] == "text":
            params = [{"type": "text", "text": header["text"]}]
        else:
            media = {"link": header["url"]}
            if header["type"] == "document" and header.get("filename"):
                media["filename"] = header["filename"]
            params = [{"type": header["type"], header["type"]: media}]
        components.append({"type": "header", "parameters": params})
    if sent.get("body"):
        components.append({"type": "body", "parameters": _text_params(sent["body"])})
    return components


def message_body(to, content):
    """The Graph API body of one message from its stored content document."""
    kind = content["type"]
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind}
    if kind == "text":
        body["text"] = {"body": content["text"], "preview_url": "http" in content["text"]}
    elif kind in ("image", "video", "audio", "document"):
        media = {"id": content["provider_media_id"]} if content.get("provider_media_id") else {"link": content["url"]}
        if content.get("caption") and kind != "audio":
            media["caption"] = content["caption"]
        if kind == "document" and content.get("filename"):
            media["filename"] = content["filename"]
        body[kind] = media
    elif kind == "interactive":
        interactive = {"body": {"text": content["body"]}}
        if content.get("header"):
            interactive["header"] = {"type": "text", "text": content["header"]}
        if content["style"] == "reply":
            interactive["type"] = "button"
            interactive["action"] = {"buttons": [{"type": "reply", "reply": b} for b in content["buttons"]]}
        else:
            interactive["type"] = "list"
            interactive["action"] = {"button": content["button"], "sections": content["sections"]}
        body["interactive"] = interactive
    elif kind == "contacts":
        body["contacts"] = content["contacts"]
    elif kind == "location":
        body["location"] = {
            k: content[k] for k in ("latitude", "longitude", "name", "address") if content.get(k) is not None
        }
    elif kind == "template":
        sent = content["template"]
        body["template"] = {
            "name": content.get("meta_name") or sent["name"].replace("-", "_"),
            "language": {"code": sent["language"]},
            "components": template_components(sent),
        }
    return body


def template_request(template):
    """A Meta template as the Graph API's `message_templates` create body."""
    doc = template.payload
    components = []
    header = doc.get("header")
    if header:
        if header["type"] == "text":
            entry = {"type": "HEADER", "format": "TEXT", "text": header["text"]}
            if doc.get("header_examples"):
                entry["example"] = {"header_text": doc["header_examples"]}
        else:
            entry = {"type": "HEADER", "format": header["type"].upper(), "example": {"header_handle": [header["url"]]}}
        components.append(entry)
    body = {"type": "BODY", "text": doc["body"]}
    if doc.get("examples"):
        body["example"] = {"body_text": [doc["examples"]]}
    components.append(body)
    if doc.get("footer"):
        components.append({"type": "FOOTER", "text": doc["footer"]})
    buttons = doc.get("buttons")
    if buttons:
        if buttons["type"] == "actions":
            items = [
                {"type": "PHONE_NUMBER", "text": a["text"], "phone_number": a["phone_number"]}
                if a["type"] == "phone_number"
                else {"type": "URL", "text": a["text"], "url": a["url"]}
                for a in buttons["actions"]
            ]
        elif buttons["type"] == "reply":
            items = [{"type": "QUICK_REPLY", "text": text} for text in buttons["replies"]]
        else:
            items = [{"type": "OTP", "otp_type": buttons["otp_type"].upper(), "text": buttons["text"]}]
            if buttons.get("code_expire"):
                components.append({"type": "FOOTER", "code_expiration_minutes": buttons["code_expire"]})
        components.append({"type": "BUTTONS", "buttons": items})
    return {
        "name": template.name,
        "language": template.language,
        "category": template.category.upper(),
        "components": components,
    }


class Client:
    def __init__(self, number):
        self.number = number
        self.base = f"{number.api_base_url.rstrip('/')}/{number.api_version}"
        self.headers = {"Authorization": f"Bearer {number.access_token}"}

    def _post(self, path, payload):
        try:
            response = http().post(f"{self.base}/{path}", json=payload, headers=self.headers)
        except httpx.HTTPError as exc:
            raise ProviderError("131000", f"The Cloud API could not be reached: {exc.__class__.__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        return _answer(response.status_code, data)

    def send(self, to, content):
        """The wamid the provider gave the message (ProviderError when it refused it). Media from
        the customer's library goes by the provider's media id, uploaded on its first send."""
        data = self._post(f"{self.number.phone_number_id}/messages", self._message(to, content))
        return data["messages"][0]["id"]

    def send_many(self, items):
        """`send()` for many (to, content) pairs at once: each answer is a wamid or the
        ProviderError it met, in order. The requests go from one event loop with up to
        WHATSAPP["connections"] in flight: threads around httpx cost about 1.6 ms of CPU per
        request here, this client about 0.15 ms (docs/benchmarks.md)."""
        bodies = [json.dumps(self._message(to, content)).encode() for to, content in items]
        url = f"{self.base}/{self.number.phone_number_id}/messages"
        return _CONNECTOR_LOOP.run(_post_all, url, {**self.headers, "Content-Type": "application/json"}, bodies)

    def _message(self, to, content):
        if content.get("media_id"):  # uploaded here, before any request of a batch goes
            from messaging.channels.whatsapp import media

            content = {**content, "provider_media_id": media.provider_id(content["media_id"], self.number, self)}
        return message_body(to, content)

    def upload_media(self, data, filename, content_type):
        """`POST /{phone-number-id}/media` (multipart, as the Graph API takes it); returns its id."""
        try:
            response = http().post(
                f"{self.base}/{self.number.phone_number_id}/media",
                data={"messaging_product": "whatsapp", "type": content_type},
                files={"file": (filename, data, content_type)},
                headers=self.headers,
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError("131000", f"The media upload failed: {exc.__class__.__name__}") from exc
        if response.status_code >= 400 or "id" not in answer:
            error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
            raise ProviderError(error.get("code") or "131053", error.get("message", ""), response.status_code)
        return str(answer["id"])

    def create_template(self, template):
        data = self._post(f"{self.number.waba_id}/message_templates", template_request(template))
        return str(data["id"])


def _answer(status, data):
    """The answer's data, or the ProviderError its status or `error` object says."""
    if status >= 400 or "error" in data:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        raise ProviderError(error.get("code") or "131000", error.get("message", ""), status)
    return data


class _ConnectorLoop:
    """One event loop per process, on a thread of its own, and one connection pool on it kept
    from call to call: each wave of sends reuses the provider's keep-alive connections instead of
    opening WHATSAPP["connections"] new ones (a TLS handshake each at Meta, a thread each in the
    simulator) and closing them after. A forked process (a worker's child) starts its own."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid, self.loop, self.pool = None, None, None

    def run(self, coroutine, *args):
        """`coroutine(pool, *args)` run on the loop; its result (callers block: dispatch is sync)."""
        with self.lock:
            if self.pid != os.getpid():
                self.loop = asyncio.new_event_loop()
                threading.Thread(target=self.loop.run_forever, name="whatsapp-connector", daemon=True).start()
                # The endpoint is the business number's, set by staff (the Graph API or the
                # simulator), so the pool does not apply the customer-URL address checks.
                self.pool = PinnedPool(trusted=True, max_idle_per_origin=settings.WHATSAPP["connections"])
                self.pid = os.getpid()
        return asyncio.run_coroutine_threadsafe(coroutine(self.pool, *args), self.loop).result()


_CONNECTOR_LOOP = _ConnectorLoop()


async def _post_all(pool, url, headers, bodies):
    slots = asyncio.Semaphore(settings.WHATSAPP["connections"])

    async def one(body):
        async with slots:
            try:
                async with asyncio.timeout(settings.WHATSAPP["timeout_seconds"]):
                    response = await pool.request("POST", url, headers=headers, content=body, cap=1 << 20)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                return ProviderError("131000", f"The Cloud API could not be reached: {exc.__class__.__name__}")
        try:
            data = json.loads(response.body or b"{}")
        except ValueError:
            data = {}
        try:
            return _answer(response.status_code, data if isinstance(data, dict) else {})["messages"][0]["id"]
        except ProviderError as exc:
            return exc
        except (KeyError, IndexError, TypeError):
            return ProviderError("131000", "The Cloud API answered without a message id.")

    return await asyncio.gather(*(one(body) for body in bodies))


def client_for(number):
    return Client(number)
