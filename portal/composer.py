"""What every channel's composer page shows around its send's own dry run: the summary (accepted,
refusals by reason with words, cost and balance), the send button's words and the flash after the
send. Channels give their words (the verb, what one send is called, their refusal labels); the
numbers always come from the channel's quote, so the page cannot say one thing and charge another.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages as flash
from django.template.defaultfilters import pluralize


@dataclass
class Summary:
    """A quote as the composer shows it. `cost` is what the send takes from the balance when it
    is accepted (SMS: the charge; voice: the reservation, settled when the calls end)."""

    quoted: bool
    total: int = 0
    accepted: int = 0
    refused: list = field(default_factory=list)  # (status, label, count), largest first
    cost: Decimal = Decimal(0)
    balance: Decimal = Decimal(0)
    problem: str = ""
    problems: int = 0  # problems in the message itself (it cannot be quoted until they are fixed)
    verb: str = "Send"  # the button alone, and before "0 of 2 would be accepted"
    verb_to: str = "Send to"  # before "3 recipients"

    @property
    def balance_after(self):
        return self.balance - self.cost

    @property
    def affordable(self):
        return self.cost <= self.balance

    @property
    def button(self):
        """What pressing the button will do, in words."""
        if self.problems:
            return f"Fix {self.problems} problem{pluralize(self.problems)} to {self.verb.lower()}"
        if not self.quoted or not self.total:
            return self.verb
        if self.accepted == self.total:
            return f"{self.verb_to} {self.total} recipient{pluralize(self.total)}"
        return f"{self.verb}: {self.accepted} of {self.total} would be accepted"


def refusal_rows(refused, labels):
    """[(status, words, count)] of {status: count}, largest first (ties by status)."""
    return sorted(
        ((status, labels.get(status, status), count) for status, count in refused.items() if count),
        key=lambda r: (-r[2], r[0]),
    )


def summarise(plan, balance, labels, **words):
    """A quote (`total`, `accepted`, `refused` {status: count}, `cost`) as the composer's summary;
    `labels` maps a refusal status to words; `words` the channel's verb (`verb`, `verb_to`)."""
    return Summary(
        quoted=True,
        total=plan.total,
        accepted=plan.accepted,
        refused=refusal_rows(plan.refused, labels),
        cost=plan.cost,
        balance=balance,
        **words,
    )


def report_outcome(request, *, accepted, total, refused, labels, noun):
    """The flash after a send: success only when everything was accepted; a warning naming the
    reasons when some or all were refused. `noun`: one send in words ("SMS message", "call")."""
    reasons = "; ".join(f"{words}: {count}" for _status, words, count in refusal_rows(refused, labels))
    if accepted == 0:
        because = f" ({reasons})." if reasons else "."
        flash.warning(request, f"Nothing was sent: 0 of {total} {noun}{pluralize(total)} accepted{because}")
    elif accepted < total:
        flash.warning(request, f"{accepted} of {total} {noun}s accepted; refused: {reasons}.")
    else:
        flash.success(request, f"{accepted} of {total} {noun}{pluralize(total)} accepted.")


def refused_counts(items, accepted_statuses):
    """Refusal status -> count from a submission's per-recipient answers."""
    counts = {}
    for item in items:
        status = item.get("status")
        if status not in accepted_statuses:
            counts[status] = counts.get(status, 0) + 1
    return counts
