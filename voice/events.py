"""The events voice emits. Registered in `VoiceConfig.ready()`; how each is delivered is in
messaging/webhooks/formats.py. (Voice opt-outs, `voice:unsubscription`, come from the suppression
lists and are declared in messaging/events.py.)"""

from portal.core.events.registry import EventType

VOICE_MESSAGE_OUT = "voice:message:out"

EVENT_TYPES = (EventType(VOICE_MESSAGE_OUT, "Voice", "Call detail record after a call (outgoing or click2call)"),)
