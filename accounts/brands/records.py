"""A DNS record a brand is asked to publish (domains and mail pages show them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    type: str
    name: str
    value: str
