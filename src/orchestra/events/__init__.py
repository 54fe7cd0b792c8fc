"""The append-only, hash-chained audit/event log."""

from orchestra.events.log import EventLog
from orchestra.events.model import AuditAnchor, AuditEvent, ChainReport, NewEvent

__all__ = ["AuditAnchor", "AuditEvent", "ChainReport", "EventLog", "NewEvent"]
