"""Supplier connectors. Each takes messages and returns the supplier's message ids; delivery
reports come back through `messaging.sending.dlr.apply_dlr`, whatever the connector."""

from messaging.sending.connectors.simulator import SimulatorConnector

CONNECTORS = {"simulator": SimulatorConnector}


def get_connector(name="simulator"):
    return CONNECTORS[name]()
