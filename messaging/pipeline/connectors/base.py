"""What the pipeline and a connector exchange when the pipeline asks a supplier about messages it
may already hold (`connector.lookup`): after a crash (a chunk claimed but never recorded) and when
a receipt is overdue (a lost receipt task, a flushed broker, a supplier push we missed)."""

from typing import NamedTuple


class Reference(NamedTuple):
    """A message as a supplier knows it: our message id is the client reference every connector
    hands over with the message; `supplier_message_id` is the supplier's id when we recorded one
    ("" for a chunk a worker died on before recording it)."""

    id: int
    supplier_message_id: str = ""


class SupplierStatus(NamedTuple):
    """The supplier's answer about a message it holds: its id for the message, and the status it
    reached in the channel's vocabulary with its code, or `status=None` while it has none yet
    (still on its way). A message the supplier does not know is answered with None instead."""

    supplier_message_id: str
    status: str | None = None
    code: str = ""
