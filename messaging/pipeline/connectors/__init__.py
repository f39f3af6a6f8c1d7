"""Supplier connectors. `submit(messages)` returns, per message, the supplier's message id or None
when the supplier refused it (the message is then refunded); delivery reports come back through
`messaging.pipeline.receipts.apply_dlrs`, whatever the connector."""

from messaging.pipeline.connectors.simulator import SimulatorConnector

CONNECTORS = {"simulator": SimulatorConnector}


def get_connector(name="simulator"):
    return CONNECTORS[name]()
