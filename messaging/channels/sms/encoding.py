"""SMS encoding and segmentation (pure Python).

GSM 03.38 text uses 7-bit septets: 160 per single message, 153 per part when concatenated
(the UDH takes the rest); characters of the extension table (`^{}\\[~]|€` and form feed) take two
septets and never straddle a part boundary. Anything else needs UCS-2: 70 per single message,
67 per part, counted in UTF-16 code units (an emoji takes two) without splitting a surrogate pair.
"""

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class Encoding:
    GSM = "gsm"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class Analysis:
    text: str  # the text that will be sent (after `type=N` replacement)
    encoding: str
    length: int  # characters, as the contract's `length` reports
    units: int  # parts (the contract's `units`)
    replaced: int = 0  # characters replaced by "?" under type N


def is_gsm(text):
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def to_gsm(text):
    """Type `N`: characters outside the GSM set become `?` (as the catalog says)."""
    out, replaced = [], 0
    for ch in text:
        if ch in GSM_BASIC or ch in GSM_EXTENSION:
            out.append(ch)
        else:
            out.append("?")
            replaced += 1
    return "".join(out), replaced


def _gsm_weights(text):
    return [2 if ch in GSM_EXTENSION else 1 for ch in text]


def _ucs2_weights(text):
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _count_parts(weights, single, part):
    total = sum(weights)
    if total <= single:
        return 1
    parts, used = 1, 0
    for w in weights:
        if used + w > part:  # an escape pair or a surrogate pair never straddles parts
            parts += 1
            used = 0
        used += w
    return parts


def analyze(text, message_type="A"):
    """Encoding, length and parts of `text` for the contract's `type`: `A` auto (GSM when
    possible), `N` normal (GSM, others replaced by `?`), `U` Unicode."""
    message_type = (message_type or "A").upper()
    replaced = 0
    if message_type == "N":
        text, replaced = to_gsm(text)
        encoding = Encoding.GSM
    elif message_type == "U":
        encoding = Encoding.UCS2
    else:
        encoding = Encoding.GSM if is_gsm(text) else Encoding.UCS2
    if encoding == Encoding.GSM:
        units = _count_parts(_gsm_weights(text), GSM_SINGLE, GSM_PART)
    else:
        units = _count_parts(_ucs2_weights(text), UCS2_SINGLE, UCS2_PART)
    return Analysis(text=text, encoding=encoding, length=len(text), units=units, replaced=replaced)


def split(text, encoding):
    """The parts a connector submits (concatenated SMS), respecting the rules above."""
    if encoding == Encoding.GSM:
        weights, single, part = _gsm_weights(text), GSM_SINGLE, GSM_PART
    else:
        weights, single, part = _ucs2_weights(text), UCS2_SINGLE, UCS2_PART
    if sum(weights) <= single:
        return [text]
    parts, current, used = [], [], 0
    for ch, w in zip(text, weights, strict=True):
        if used + w > part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += w
    parts.append("".join(current))
    return parts
