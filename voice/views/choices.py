"""What the voice pages' pickers offer: the account's bridges, its flows (not the generated ones
TTS calls make) and its sounds."""

from voice.models import Flow, NumberKind, Sound, VoiceNumber


def bridges(account):
    return VoiceNumber.objects.for_account(account).filter(kind=NumberKind.BRIDGE)


def flows(account):
    return Flow.objects.for_account(account).filter(generated=False)


def sounds(account):
    return Sound.objects.for_account(account)
