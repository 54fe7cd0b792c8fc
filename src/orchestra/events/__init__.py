"""The append-only, hash-chained audit/event log."""

from orchestra.events.log import EventLog
from orchestra.events.model import AuditEvent, ChainReport, NewEvent

__all__ = ["AuditEvent", "ChainReport", "EventLog", "NewEvent"]
