"""Inventory service: stock items and their loading."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["Item", "load"]
LIMIT = 10


@dataclass(frozen=True)
class Item:
    """One stock item."""

    sku: str
    count: int = 0
    tags: list[str] = field(default_factory=list)

    def total(self, price: float) -> float:
        """Value of the stock."""
        value = self.count * price  # BODY_MARKER
        return value

    def _hidden(self) -> None:
        pass


async def load(path: str, *, strict: bool = True) -> list[Item]:
    """Load items from disk."""
    with open(path) as handle:
        rows = handle.read().splitlines()  # BODY_MARKER
    return [Item(sku=row) for row in rows if row or not strict]


def _private_helper() -> None:
    return None
