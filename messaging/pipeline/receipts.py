"""Receipt intake for every channel: forward-only and idempotent.

A receipt names the supplier, the supplier's message id, the channel's status and code. The
adapter places the status in the canonical order (`messaging.pipeline.status`); a message moves
only when that is a step forward, so repeated, late or out-of-order receipts change nothing.
Status events are written to the outbox in the same transaction, in bulk.
"""

from collections import namedtuple

from django.db import connection, transaction
from django.utils import timezone

from messaging.pipeline import channels
from messaging.pipeline.models import Message, State
from messaging.pipeline.status import FINAL_LEVELS, ceiling
from messaging.reports import rollups
from portal.core import events

# What adapters get to build status events from: one per message that moved.
# The trailing fields are what report rollups need: the message's dimensions and its values
# before the move (messaging.reports.rollups.record_receipts).
Finalised = namedtuple(
    "Finalised",
    "account_id group index mobile units charges custom iso submitted_at dispatched_at webhook_id dlr_url "
    "dlr_mask sender batch_id product_code template_id old_state old_status old_status_code old_progress "
    "old_delivered_at operator at",
    defaults=(None,) * 8 + ("", None),
)
# The same, as Message fields for `values_list` (read before the move: the `old_*` ones are the
# current values).
FINALISED_FIELDS = (
    "account_id", "batch__uuid", "index", "mobile", "units", "charges", "custom", "iso", "submitted_at",
    "dispatched_at", "webhook_id", "dlr_url", "dlr_mask", "sender", "batch_id", "product_code", "template_id",
    "state", "status", "status_code", "progress", "delivered_at", "operator",
)  # fmt: skip


def apply_receipt(*, channel, supplier, supplier_message_id, status, code, at=None):
    """One receipt; returns whether the message moved."""
    return apply_receipts(channel=channel, supplier=supplier, receipts=[(supplier_message_id, status, code)], at=at)


def apply_receipts(*, channel, supplier, receipts, at=None):
    """Apply many receipts (supplier id, status, code[, at]): one conditional UPDATE per distinct
    outcome and the events written in bulk, all in one transaction. A receipt's own `at` (a
    batch of webhooks carries one provider timestamp per status) wins over the call's; each
    moved row carries its time as `Finalised.at`. Returns how many messages moved."""
    adapter = channels.get(channel)
    at = at or timezone.now()
    by_outcome = {}
    for supplier_id, status, code, *when in receipts:
        stamps = by_outcome.setdefault((status, code), {})
        stamp = when[0] if when else at
        # The same receipt twice in one call moves the message once, at its first time.
        stamps[supplier_id] = min(stamp, stamps.get(supplier_id, stamp))
    changed = 0
    moves = []
    with transaction.atomic():
        for (status, code), stamps in by_outcome.items():
            level = adapter.progress_of(status)
            apply = _apply_postgres if connection.vendor == "postgresql" else _apply_orm
            rows = apply(supplier, stamps, status, code, level)
            if rows:
                latest = max(r.at for r in rows)
                events.emit_many(adapter.status_events(rows, status, at, code=code), created_at=latest)
                moves.append((rows, status, code, level))
            changed += len(rows)
        rollups.record_receipts(channel, moves, at)
    return changed


# PostgreSQL moves the messages and returns what the events need in one UPDATE … RETURNING; the
# locked CTE supplies the values before the move (RETURNING only sees the new ones). The ids and
# their times travel as one text each, split by the server: psycopg quotes a list parameter
# element by element in Python (a regex each), which cost a receipt more than its UPDATE did.
SEPARATOR = "\x1f"  # the unit separator: in no supplier's message id, checked before it is used
_SPLIT = "string_to_array(%s, E'\\x1f')"
_MOVE = """
WITH given AS (SELECT * FROM unnest({ids}::varchar[], {ats}::timestamptz[]) AS g(sid, at)),
old AS (
  SELECT m.id, m.state, m.status, m.status_code, m.progress, m.delivered_at, given.at
    FROM sending_message AS m JOIN given ON given.sid = m.supplier_message_id
   WHERE m.supplier = %s AND m.supplier_message_id = ANY(ARRAY(SELECT sid FROM given)) AND m.progress < %s
     FOR UPDATE OF m
)
UPDATE sending_message AS m
   SET state = CASE WHEN %s THEN %s ELSE m.state END, progress = %s, status = %s, status_code = %s,
       delivered_at = CASE WHEN %s THEN old.at ELSE m.delivered_at END, updated_at = old.at
  FROM sending_batch AS b, old
 WHERE old.id = m.id AND b.id = m.batch_id
RETURNING m.account_id, b.uuid, m.index, m.mobile, m.units, m.charges, m.custom, m.iso, m.submitted_at,
          m.dispatched_at, m.webhook_id, m.dlr_url, m.dlr_mask, m.sender, m.batch_id, m.product_code,
          m.template_id, old.state, old.status, old.status_code, old.progress, old.delivered_at, m.operator, old.at
"""
_MOVE_PACKED = _MOVE.format(ids=_SPLIT, ats=_SPLIT)
_MOVE_LISTED = _MOVE.format(ids="%s", ats=_SPLIT)  # an id holding the separator: sent as a list


def _apply_postgres(supplier, stamps, status, code, level):
    final = level in FINAL_LEVELS
    ids = list(stamps)
    packed = SEPARATOR.join(ids)
    sql, ids = (_MOVE_PACKED, packed) if packed.count(SEPARATOR) == len(ids) - 1 else (_MOVE_LISTED, ids)
    ats = SEPARATOR.join(at.isoformat() for at in stamps.values())
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids, ats, supplier, ceiling(level), final, State.FINAL, level, status, code, final])
        return [Finalised(*row) for row in cursor.fetchall()]


def _apply_orm(supplier, stamps, status, code, level):
    pending = Message.objects.select_for_update().filter(
        supplier=supplier, supplier_message_id__in=list(stamps), progress__lt=ceiling(level)
    )
    rows = list(pending.values_list("pk", "supplier_message_id", *FINALISED_FIELDS))
    moved = []
    for pk, supplier_id, *values in rows:
        at = stamps[supplier_id]
        changes = {"progress": level, "status": status, "status_code": code, "updated_at": at}
        if level in FINAL_LEVELS:
            changes.update(state=State.FINAL, delivered_at=at)
        if Message.objects.filter(pk=pk, progress__lt=ceiling(level)).update(**changes):
            moved.append(Finalised(*values, at))
    return moved
