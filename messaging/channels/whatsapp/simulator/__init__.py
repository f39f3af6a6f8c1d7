"""A local stand-in for Meta's WhatsApp Cloud API, run as its own process (`python -m
messaging.channels.whatsapp.simulator`): see server.py."""
