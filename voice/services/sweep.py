"""The sweeper: calls a crashed worker left behind get a final CDR and their credits settled.

- a call in progress past its maximum duration (plus GRACE) is final: the SIP side's journal
  (`voice_media` writes one line per finished call to DATA_DIR/voice/journal) is read first, so
  a call that really ended gets its real CDR; otherwise it becomes CONGESTION with no charge
  (nothing the platform can prove was talked);
- a simulator call still queued after STALE seconds is queued again (its task was lost), and a
  retry whose `due_at` has come is queued (retries never wait in the broker);
- a final call left unsettled (a crash between CDR and refund cannot happen, they share a
  transaction, but a hand-edited row can) is settled.
"""

import json
from datetime import timedelta

from django.utils import timezone

from voice.connectors.base import Outcome
from voice.models import Call, CallStatus, Connector
from voice.services import billing, cdr, dispatch, storage

GRACE = 120
STALE = 300


def journal_outcomes():
    """uuid -> Outcome from the media worker's journal of finished calls."""
    outcomes = {}
    folder = storage.root("journal")
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
                outcomes[row["uuid"]] = Outcome(
                    status=row["status"],
                    sip_code=int(row["sip_code"]),
                    ring_seconds=float(row.get("ring_seconds", 0)),
                    talk_seconds=int(row.get("talk_seconds", 0)),
                    dtmf=row.get("dtmf", ""),
                    hangup_by=row.get("hangup_by", ""),
                    notes="reconciled from the SIP journal",
                )
            except (ValueError, KeyError, TypeError):
                continue
    return outcomes


def sweep(now=None):
    now = now or timezone.now()
    stuck = list(
        Call.objects.filter(status__in=(CallStatus.IN_PROGRESS, CallStatus.RINGING))
        .filter(start_at__lt=now - timedelta(seconds=GRACE))
        .select_related("account")
    )
    stuck = [c for c in stuck if c.start_at + timedelta(seconds=c.max_seconds + GRACE) < now]
    finished = 0
    if stuck:
        journal = journal_outcomes()
        pairs = []
        for call in stuck:
            outcome = journal.get(str(call.uuid)) or Outcome(
                status=CallStatus.CONGESTION, sip_code=500, notes="worker lost the call; not charged"
            )
            pairs.append((call, outcome))
        for pair in pairs:
            finished += cdr.finish([pair], started=pair[0].start_at)
    lost = Call.objects.filter(
        status=CallStatus.QUEUED, connector=Connector.SIMULATOR, created_at__lt=now - timedelta(seconds=STALE)
    ).values_list("pk", flat=True)
    due = Call.objects.filter(status=CallStatus.QUEUED, connector=Connector.SIMULATOR, due_at__lte=now).values_list(
        "pk", flat=True
    )
    dispatch.queue(list(lost) + list(due), now=now)
    unsettled = Call.objects.filter(settled=False, status__in=CallStatus.FINAL)
    billing.settle(list(unsettled.values_list("pk", flat=True)[:10000]))
    return finished
