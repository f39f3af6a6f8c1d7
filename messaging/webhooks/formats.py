"""How each event goes out as a webhook: body form, success codes, `{{variables}}`, the catalogued
example. Keyed by event name; an event with no entry gets `DEFAULT` (wrapped, any 2xx, not for
customized webhooks, no example).

The apps declare their events (`<app>/events.py`); this table only describes delivery, so it
names events by their string (tests/messaging/webhooks/test_formats.py checks that every name
here is registered by some app).
"""

from dataclasses import dataclass, field

from portal.core.events import registry

# How the body is sent (webhooks catalog): channel events wrap their data as
# {"event": name, "payload": {...}}; SMS DLRs, voice CDRs, contacts, unsubscriptions and smart-link
# visits are flat objects. SMS and voice are wrapped for subscriptions and flat for a per-request
# `webhook_id` (the catalog's recommendation; see docs/api.md).
WRAPPED = "wrapped"
FLAT = "flat"
FLAT_FOR_WEBHOOK_ID = "flat_for_webhook_id"

ANY_2XX = frozenset(range(200, 300))
# Classic SMS DLR push and voice callbacks count only 200/202; channel webhooks any 2xx.
ONLY_200_202 = frozenset({200, 202})


@dataclass(frozen=True)
class Format:
    form: str = WRAPPED
    # Customized (composed) webhooks may be bound to this event (catalog: five status events).
    customizable: bool = False
    success_codes: frozenset = ANY_2XX
    # `{{variable}}` names a customized webhook may use (dotted paths into the body).
    variables: tuple = ()
    example: dict = field(default_factory=dict)


DEFAULT = Format()

_SMS_VARIABLES = (
    "id",
    "mobile",
    "status",
    "credits",
    "units",
    "deliv_time",
    "sent_time",
    "submit_time",
    "deliv_at",
    "sent_at",
    "submit_at",
    "custom",
    "cid",
    "custom1",
    "custom2",
    "location",
    "region",
    "provider",
    "location_code",
    "region_code",
    "provider_code",
)
_CHANNEL_STATUS_VARIABLES = tuple(
    f"payload.{name}"
    for name in (
        "id",
        "from",
        "to",
        "mobile",
        "status",
        "delivered_at",
        "read_at",
        "processed_at",
        "submit_time",
        "foreign_id",
    )
)
_VOICE_VARIABLES = (
    "id",
    "to",
    "status",
    "duration",
    "bridge",
    "from",
    "start_at",
    "end_at",
    "mid",
    "flow_id",
    "source",
    "recording_url",
    "webhook_id",
)

_SMS_EXAMPLE = {
    "id": "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6:1",
    "mobile": "918921269000",
    "status": "DELIVRD",
    "credits": "2.0000",
    "units": 2,
    "deliv_time": "2021-04-09 16:27:51",
    "sent_time": "2021-04-09 16:27:35",
    "submit_time": "2021-04-09 16:27:39",
    "deliv_at": "1617985671",
    "sent_at": "1617985655",
    "submit_at": "1617985659",
    "cid": "12344440000",
    "custom": "98820000",
    "location_code": "in",
}


def _channel_status_example(channel, sender):
    return {
        "id": "a418d672-9781-4d97-b517-a56f7d95ad8a",
        "channel": channel,
        "from": sender,
        "to": "919019900000",
        "status": "delivered",
        "delivered_at": "2021-06-18T14:48:06.886358Z",
        "read_at": None,
        "processed_at": "2021-06-18T14:48:05.104417Z",
        "timestamp": "2021-06-18T14:48:06.886358Z",
        "foreign_id": "order-1001",
    }


def _incoming_example(channel, to):
    return {
        "id": "5d3b1a3e-8f0c-4c43-9d55-0a9e2f1b7c11",
        "channels": [{"name": channel, "to": to}],
        "recipient": {"from": "919019900000", "user": None},
        "message": {
            "id": "wamid.HBgMOTE5MDE5OTAwMDAwFQIAEhgUM0E",
            "type": "text",
            "payload": {"text": "Hello"},
            "timestamp": "2021-06-18T14:48:06.886358Z",
        },
    }


def _unsubscription_example(channel, type_, value):
    return {
        "id": "6a3c0b6e-2d59-4b8f-8f3e-1b9a7c2d4e5f" if channel in ("sms", "voice") else 42,
        "receiver": "919876543210",
        "type": type_,
        "value": value,
        "created_at": "2022-10-19T07:40:13.000000Z",
        "status": "Unsubscriber created successfully",
    }


FORMATS = {
    # accounts' low-balance alert (accounts/services/balance_alerts.py): wrapped like channel events.
    "portal:balance:low": Format(example={"account": "demo", "balance": "9.5000", "threshold": "10.0000"}),
    "sms:message:status": Format(
        form=FLAT_FOR_WEBHOOK_ID,
        customizable=True,
        success_codes=ONLY_200_202,
        variables=_SMS_VARIABLES,
        example=_SMS_EXAMPLE,
    ),
    "sms:unsubscription": Format(form=FLAT, example=_unsubscription_example("sms", "sender", "TXTSMS")),
    "whatsapp:message:in": Format(example=_incoming_example("whatsapp", "919019120000")),
    "whatsapp:message:status": Format(
        customizable=True,
        variables=_CHANNEL_STATUS_VARIABLES,
        example=_channel_status_example("whatsapp", "919019120000"),
    ),
    "whatsapp:unsubscription": Format(form=FLAT, example=_unsubscription_example("whatsapp", "category", "WUC")),
    "rcs:message:in": Format(example=_incoming_example("rcs", "700969ca-0cb2-11ec-a2c0-000000000000")),
    "rcs:message:status": Format(
        customizable=True,
        variables=_CHANNEL_STATUS_VARIABLES,
        example=_channel_status_example("rcs", "700969ca-0cb2-11ec-a2c0-000000000000"),
    ),
    "rcs:unsubscription": Format(form=FLAT, example=_unsubscription_example("rcs", "all", "*")),
    "voice:message:out": Format(
        form=FLAT_FOR_WEBHOOK_ID,
        customizable=True,
        success_codes=ONLY_200_202,
        variables=_VOICE_VARIABLES,
        example={
            "id": "1234-1333-00001",
            "bridge": "918068280000",
            "from": "918919520000",
            "to": "918867130000",
            "source": "OBD",
            "mid": "1234-1333-00001",
            "flow_id": 123,
            "start_at": "2021-04-09 16:27:39",
            "end_at": "2021-04-09 16:28:02",
            "duration": "23",
            "status": "ANSWER",
            "recording_url": "https://recordings.example.com/1234-1333-00001.mp3",
        },
    ),
    "voice:unsubscription": Format(form=FLAT, example=_unsubscription_example("voice", "all", "*")),
    "viber:message:status": Format(
        customizable=True,
        variables=_CHANNEL_STATUS_VARIABLES,
        example=_channel_status_example("viber", "pa:5542"),
    ),
    "viber:message:in": Format(example=_incoming_example("viber", "pa:5542")),
    "viber:unsubscription": Format(form=FLAT, example=_unsubscription_example("viber", "all", "*")),
    "vmn:message:in": Format(example=_incoming_example("vmn", "919220000000")),
    "contacts:subscriber:subscription": Format(
        form=FLAT,
        example={
            "id": 86,
            "identity": "demo@example.com",
            "first_name": "Demo",
            "middle_name": None,
            "last_name": "Test",
            "gender": "male",
            "birth_date": "1996-07-16",
            "company": None,
            "attributes": {"membership": "platinum", "status": "vip", "customerNumber": "23"},
            "created_at": "2022-12-07T06:20:09.000000Z",
            "updated_at": "2022-12-07T06:20:09.000000Z",
            "status": "Subscriber created successfully",
        },
    ),
    "link:visit": Format(
        form=FLAT,
        example={
            "id": "b34e35ad-fe34-4a8b-977c-b21cd76cd7d6:1",
            "link_id": 246,
            "user_agent": "Mozilla/5.0",
            "browser": "Chrome",
            "browser_version": "23.3.1",
            "platform": "Android",
            "device_type": "smartphone",
            "device_brand": "Redmi",
            "country": "india",
            "country_code": "IN",
            "region": "Karnataka",
            "city": "Bangalore",
            "mobile": "918919500000",
            "created_at": "2021-04-09 16:27:39",
        },
    ),
    "portal:sender:reviewed": Format(
        example={
            "id": "0b7c3e1a-52d4-4f8e-9a61-3c2f1e0d9b87",
            "kind": "sender",
            "name": "TXTSMS",
            "status": 1,
            "decision": "approved",
            "reason": "",
            "reviewed_at": "2022-10-19T07:40:13.000000+00:00",
        },
    ),
    "portal:template:reviewed": Format(
        example={
            "id": "4e1d2c3b-6a5f-4e7d-8c9b-0a1f2e3d4c5b",
            "kind": "template",
            "name": "OTP",
            "status": 2,
            "decision": "rejected",
            "reason": "Variable names unclear",
            "reviewed_at": "2022-10-19T07:40:13.000000+00:00",
        },
    ),
    "portal:webhook:test": Format(example={"message": "This is a test event from the portal."}),
    "portal:report:delivery_rate_low": Format(
        example={
            "delivery_rate": 82.4,
            "threshold": 90.0,
            "delivered": 824,
            "with_outcome": 1000,
            "window_hours": 24,
            "at": "2026-12-03T10:00:00+00:00",
        },
    ),
}


def of(name):
    """The delivery format of the registered event `name` (`DEFAULT` when it declares none);
    registry.UnknownEvent for a name no app registered."""
    registry.get(name)
    return FORMATS.get(name, DEFAULT)


def customizable():
    """Registered events customized webhooks may take, in this table's order."""
    registered = {e.name for e in registry.all()}
    return [name for name, f in FORMATS.items() if f.customizable and name in registered]
