"""A field as the live pages show it (the template builder, the composer): its problems beside it
and its character count against the rule's limit, both refreshed out of band as the user types."""

from dataclasses import dataclass, field


@dataclass
class Row:
    field: object  # a BoundField
    errors: list = field(default_factory=list)
    length: int = 0
    limit: int = 0
    unit: str = "characters"
    radio: bool = False
    switch: bool = False

    @property
    def name(self):
        return self.field.name

    @property
    def over(self):
        return bool(self.limit) and self.length > self.limit
