"""DLT template matcher: 100,000 message texts against 5,000 approved templates on one core.

Generates realistic, distinct templates (seeded), renders messages with known ground truth
(80 % valid, 10 % with a variable over the limit, 10 % altered fixed text or unrelated text),
then prints build time, match rate, messages/s and the reasons, and counts disagreements.

Run:  .venv/bin/python bench/bench_dlt_matcher.py [--templates 5000 --messages 100000 --seed 7]
"""

import argparse
import random
import string
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from messaging.dlt.matcher import TemplateMatcher  # noqa: E402

GREETINGS = ["Dear {{name}},", "Hi {{name}},", "Hello {{name}},", "", "", "{{name}}:", "Alert:", "Namaste {{name}},"]
SUBJECTS = [
    "account",
    "card",
    "loan",
    "order",
    "parcel",
    "policy",
    "booking",
    "ticket",
    "wallet",
    "plan",
    "subscription",
    "appointment",
    "payment",
    "refund",
    "claim",
    "invoice",
    "shipment",
    "reward",
]
VERBS = [
    "is confirmed",
    "was debited",
    "was credited",
    "has shipped",
    "is due",
    "was approved",
    "is ready",
    "was updated",
    "has expired",
    "was cancelled",
    "is on hold",
    "was delivered",
    "is scheduled",
]
TAILS = [
    "Call {{phone}} for help.",
    "Ref {{ref}}.",
    "Do not share it with anyone.",
    "Visit {{url}} to know more.",
    "Valid till {{date}}.",
    "Reply STOP to opt out.",
    "Thank you for banking with us.",
    "T&C apply.",
]
BRANDS = [
    f"{a}{b}"
    for a in ["Axo", "Bel", "Cor", "Dyn", "Evo", "Fin", "Gal", "Hex", "Ion", "Jet", "Kin", "Lum"]
    for b in ["Bank", "Mart", "Pay", "Care", "Fly", "Tel", "Life", "Home"]
]
WORDS = [
    "today",
    "tomorrow",
    "now",
    "soon",
    "again",
    "online",
    "securely",
    "instantly",
    "successfully",
    "kindly",
    "please",
    "immediately",
    "before",
    "after",
    "within",
    "hours",
    "days",
    "branch",
    "app",
    "portal",
]


def make_templates(n, rng):
    templates, seen = [], set()
    while len(templates) < n:
        var = iter(f"v{i}" for i in range(1, 9))
        parts = [
            rng.choice(GREETINGS),
            f"your {rng.choice(BRANDS)} {rng.choice(SUBJECTS)}",
            rng.choice(["{{id}}", "no. {{id}}", "ending {{id}}", ""]),
            rng.choice(VERBS),
            rng.choice(WORDS),
            rng.choice(["for Rs.{{amount}}", "on {{date}}", "", "at {{time}}"]),
            rng.choice(WORDS),
            rng.choice(TAILS),
            f"-{rng.choice(BRANDS)}",
        ]
        body = " ".join(p for p in parts if p)
        # Give every variable a distinct name, as the rules require.
        body = _rename(body, var)
        if body not in seen:
            seen.add(body)
            templates.append(body)
    return templates


def _rename(body, names):
    out, i = [], 0
    while True:
        j = body.find("{{", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        k = body.index("}}", j)
        out.append(body[i:j] + "{{" + next(names) + "}}")
        i = k + 2


def value(rng, max_len):
    alphabet = string.ascii_letters + string.digits + " .,:/-@"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, max_len))).strip() or "x"


def render(body, rng, too_long=False):
    out, i, first = [], 0, True
    while True:
        j = body.find("{{", i)
        if j < 0:
            out.append(body[i:])
            return "".join(out)
        k = body.index("}}", j)
        long_one = too_long and first
        out.append(body[i:j] + ("9" * rng.randint(31, 40) if long_one else value(rng, 12)))
        first = False
        i = k + 2


def make_messages(templates, n, rng):
    messages = []
    for _ in range(n):
        roll = rng.random()
        idx = rng.randrange(len(templates))
        body = templates[idx]
        if roll < 0.8:
            messages.append((render(body, rng), "match", idx))
        elif roll < 0.9 and "{{" in body:
            messages.append((render(body, rng, too_long=True), "variable_too_long", idx))
        elif roll < 0.95:
            text = render(body, rng)
            pos = rng.randrange(len(text))
            messages.append((text[:pos] + "#" + text[pos + 1 :], "mutated", idx))
        else:
            messages.append((" ".join(rng.choice(WORDS) for _ in range(12)), "no_template", idx))
    return messages


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    templates = make_templates(args.templates, rng)
    messages = make_messages(templates, args.messages, rng)

    start = time.perf_counter()
    matcher = TemplateMatcher(list(enumerate(templates)))
    build = time.perf_counter() - start
    texts = [m[0] for m in messages]
    start = time.perf_counter()
    results = matcher.match_many(texts)
    elapsed = time.perf_counter() - start

    disagreements = 0
    for (text, truth, idx), result in zip(messages, results, strict=True):
        if truth == "match":
            # The generator's template, or an equally valid one with at least as much fixed text.
            ok = result.matched and (result.template_key == idx or matcher_regex(matcher, result.template_key, text))
        elif truth == "variable_too_long":
            ok = result.reason == "variable_too_long" or (result.matched and result.template_key != idx)
        elif truth == "mutated":
            ok = (not result.matched and result.reason in ("literal_mismatch", "no_template")) or (
                result.matched and matcher_regex(matcher, result.template_key, text)
            )
        else:
            ok = result.reason == "no_template"
        disagreements += not ok
    reasons = Counter(r.reason or "matched" for r in results)
    truths = Counter(m[1] for m in messages)
    print(
        f"templates={len(templates)} messages={len(texts)} anchored buckets={len(matcher._index)} "
        f"unanchored={len(matcher._always)}"
    )
    print(f"build {build * 1000:.0f} ms; match {elapsed:.3f} s = {len(texts) / elapsed:,.0f} messages/s (one core)")
    print(f"match rate {reasons['matched'] / len(texts):.1%}; results {dict(reasons)}; generated {dict(truths)}")
    print(f"disagreements with ground truth: {disagreements}")
    return 1 if disagreements else 0


_compiled = {}


def matcher_regex(matcher, key, text):
    from messaging.dlt.matcher import compile_template

    if key not in _compiled:
        body = next(t.body for bucket in [*matcher._index.values(), matcher._always] for t in bucket if t.key == key)
        _compiled[key] = compile_template(body)
    return bool(_compiled[key].regex.match(text))


if __name__ == "__main__":
    sys.exit(main())
