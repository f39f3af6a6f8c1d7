"""Decide quickly whether a message text matches one of an account's approved DLT templates.

Rules (docs/dlt-templates.md): fixed text matches exactly (case and whitespace included; CRLF in
a message counts as LF); each variable matches 0 to `max_variable_length` characters of any kind,
newlines included; when several templates match, the one with the most fixed characters wins,
then the one given first.

Speed: every template is compiled once. Candidates come from an index of "anchor" words — a
whitespace-delimited word of the template's fixed text that cannot touch a variable, chosen as the
rarest such word across the set — so a message is tried against a handful of templates, not all.
Templates without such a word are tried for every message (a short list in practice).
"""

import re
from collections import Counter
from dataclasses import dataclass

from messaging.dlt.rules import MAX_VARIABLE_LENGTH, MIN_FIXED_CHARACTERS, VARIABLE


@dataclass(frozen=True)
class MatchResult:
    template_key: object | None
    reason: str | None  # None on a match; "no_template", "variable_too_long" or "literal_mismatch"
    detail: str = ""
    values: tuple = ()

    @property
    def matched(self):
        return self.reason is None


@dataclass(frozen=True)
class Closest:
    """Where a text parts from the template it comes closest to: the text differs from
    `text_at` on, and the template's fixed text `body[body_at:body_end]` is what it should have
    said there (an empty span when the text ends early or runs on past the template)."""

    template_key: object
    text_at: int
    body: str
    body_at: int
    body_end: int


class CompiledTemplate:
    __slots__ = (
        "key",
        "body",
        "order",
        "literals",
        "names",
        "fixed_len",
        "min_len",
        "max_len",
        "regex",
        "anchors",
        "max_var",
    )

    def __init__(self, key, body, order=0, *, max_variable_length=MAX_VARIABLE_LENGTH):
        self.key, self.body, self.order = key, body, order
        self.max_var = max_variable_length
        self.literals = VARIABLE.split(body)[::2]  # fixed text between variables
        self.names = [m.group(1) for m in VARIABLE.finditer(body)]
        self.fixed_len = sum(len(part) for part in self.literals)
        self.min_len = self.fixed_len
        self.max_len = self.fixed_len + max_variable_length * len(self.names)
        bounded = f"(.{{0,{max_variable_length}}}?)"
        self.regex = re.compile(r"\A" + bounded.join(map(re.escape, self.literals)) + r"\Z", re.DOTALL)
        self.anchors = _whole_words(self.literals)

    def literal_starts(self):
        """Where each fixed part starts in the body (its variables' spans skipped)."""
        starts, pos = [], 0
        for m in VARIABLE.finditer(self.body):
            starts.append(pos)
            pos = m.end()
        starts.append(pos)
        return starts


def compile_template(body, *, key=None, max_variable_length=MAX_VARIABLE_LENGTH):
    return CompiledTemplate(key, body, max_variable_length=max_variable_length)


def _whole_words(literals):
    """Anchors: words of the fixed text guaranteed to stand alone in any rendered message
    (bounded by whitespace or the template's ends, never touching a variable), and pairs of such
    words that follow each other, which are far more selective than single words."""
    anchors = set()
    last = len(literals) - 1
    for i, part in enumerate(literals):
        tokens = part.split()
        if not tokens:
            continue
        starts_clean = i == 0 or part[:1].isspace()
        ends_clean = i == last or part[-1:].isspace()
        clean = [(j > 0 or starts_clean) and (j < len(tokens) - 1 or ends_clean) for j in range(len(tokens))]
        for j, token in enumerate(tokens):
            if clean[j]:
                anchors.add(token)
                if j + 1 < len(tokens) and clean[j + 1]:
                    anchors.add((token, tokens[j + 1]))
    return anchors


class TemplateMatcher:
    def __init__(self, templates, *, max_variable_length=MAX_VARIABLE_LENGTH):
        compiled = [
            CompiledTemplate(key, body, order, max_variable_length=max_variable_length)
            for order, (key, body) in enumerate(templates)
        ]
        frequency = Counter(word for t in compiled for word in t.anchors)
        self._index = {}
        self._always = []
        for t in compiled:
            if t.anchors:
                anchor = min(t.anchors, key=lambda w: (frequency[w], isinstance(w, str), str(w)))
                self._index.setdefault(anchor, []).append(t)
            else:
                self._always.append(t)
        self._always.sort(key=_priority)
        self._all = compiled
        self.size = len(compiled)

    def candidates(self, text):
        index = self._index
        tokens = text.split()
        found = []
        for key in (*tokens, *zip(tokens, tokens[1:], strict=False)):
            bucket = index.get(key)
            if bucket:
                found.extend(bucket)
        found.extend(self._always)
        if len(found) > 1:
            found = sorted(set(found), key=_priority)
        return found

    def match(self, text):
        text = text.replace("\r\n", "\n")
        candidates = self.candidates(text)
        n = len(text)
        for t in candidates:
            if t.min_len <= n <= t.max_len:
                m = t.regex.match(text)
                if m:
                    return MatchResult(t.key, None, values=m.groups())
        return self._explain(text, candidates)

    def closest(self, text, *, limit=200):
        """The template a refused text comes closest to, for the composer's explanation: a
        `Closest` naming where the text and the template's body part ways, or None without
        templates. Tries the candidates sharing a word first, then up to `limit` of the rest."""
        text = text.replace("\r\n", "\n")
        pool = self.candidates(text) or sorted(self._all, key=_priority)[:limit]
        best = None
        for t in pool:
            at, literal, offset = _mismatch(t, text)
            if best is None or at > best[0]:
                best = (at, literal, offset, t)
        if best is None:
            return None
        at, literal, offset, t = best
        start = t.literal_starts()[literal] + offset
        end = t.literal_starts()[literal] + len(t.literals[literal])
        return Closest(t.key, text_at=at, body=t.body, body_at=start, body_end=max(end, start))

    def match_many(self, texts):
        return [self.match(text) for text in texts]

    def _explain(self, text, candidates):
        if not candidates:
            return MatchResult(None, "no_template", "No approved template shares fixed text with this message.")
        for t in candidates:
            values = _unbounded_values(t, text)
            if values is not None:
                long = [(name, len(v)) for name, v in zip(t.names, values, strict=True) if len(v) > t.max_var]
                name, length = long[0]
                return MatchResult(
                    None,
                    "variable_too_long",
                    f"Matches template {t.key!r} but variable {{{{{name}}}}} has {length} characters "
                    f"(at most {t.max_var}).",
                )
        scored = [(_matched_prefix(t, text), t) for t in candidates[:20]]
        at, closest = max(scored, key=lambda pair: (pair[0], -pair[1].order))
        if at < MIN_FIXED_CHARACTERS:
            # Sharing a word or two somewhere is not "almost this template".
            return MatchResult(None, "no_template", "No approved template matches the start of this message.")
        return MatchResult(
            None,
            "literal_mismatch",
            f"Closest template {closest.key!r}: the fixed text differs from character {at + 1} on.",
        )


def _unbounded_values(t, text):
    """Variable values if the text matches the template with variables of any length, else None.
    Leftmost placement of each middle fixed part is enough to decide (wildcard matching)."""
    first, last = t.literals[0], t.literals[-1]
    if len(t.literals) == 1:
        return () if text == first else None
    if not text.startswith(first) or not text.endswith(last) or len(text) < len(first) + len(last):
        return None
    pos, end, values = len(first), len(text) - len(last), []
    for literal in t.literals[1:-1]:
        found = text.find(literal, pos, end)
        if found < 0:
            return None
        values.append(text[pos:found])
        pos = found + len(literal)
    values.append(text[pos:end])
    return tuple(values)


def _priority(t):
    return (-t.fixed_len, t.order)


def _matched_prefix(t, text):
    """How many characters of `text` the template's fixed text explains before they differ
    (greedy: each variable takes the length that lets the next fixed text go furthest)."""
    first = t.literals[0]
    pos = _common(first, text)
    if pos < len(first):
        return pos
    for literal in t.literals[1:]:
        best_len, best = 0, -1
        for length in range(min(t.max_var, len(text) - pos) + 1):
            common = _common(literal, text[pos + length : pos + length + len(literal)])
            if common > best:
                best_len, best = length, common
            if common == len(literal):
                break
        if best < len(literal):
            return pos + best_len + best
        pos += best_len + len(literal)
    return pos


def _mismatch(t, text):
    """As `_matched_prefix`, with where in the template it stops: (position in the text, index of
    the fixed part, offset in that part). A text that matches up to its end but runs on (or
    stops early) stops at the last fixed part's end."""
    first = t.literals[0]
    pos = _common(first, text)
    if pos < len(first):
        return pos, 0, pos
    for i, literal in enumerate(t.literals[1:], start=1):
        best_len, best = 0, -1
        for length in range(min(t.max_var, len(text) - pos) + 1):
            common = _common(literal, text[pos + length : pos + length + len(literal)])
            if common > best:
                best_len, best = length, common
            if common == len(literal):
                break
        if best < len(literal):
            return pos + best_len + best, i, best
        pos += best_len + len(literal)
    return pos, len(t.literals) - 1, len(t.literals[-1])


def _common(a, b):
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
