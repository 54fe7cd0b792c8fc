"""The append-only, hash-chained audit/event log.

Names are loaded on first use (PEP 562), so :mod:`orchestra.events.chain` stays importable
without pydantic: the stdlib-only hook entry point appends to the chain through it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestra.events.log import EventLog
    from orchestra.events.model import AuditAnchor, AuditEvent, ChainReport, NewEvent

__all__ = ["AuditAnchor", "AuditEvent", "ChainReport", "EventLog", "NewEvent"]

_HOMES = {"EventLog": "orchestra.events.log", "AuditEvent": "orchestra.events.model",
          "AuditAnchor": "orchestra.events.model",
          "ChainReport": "orchestra.events.model", "NewEvent": "orchestra.events.model"}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'orchestra.events' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
