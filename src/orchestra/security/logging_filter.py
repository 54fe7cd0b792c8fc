"""A ``logging.Filter`` that passes every record through the guard (sink ``log``) and never raises."""

from __future__ import annotations

import logging
import threading

from orchestra.security.guard import SecurityGuard
from orchestra.security.model import Sink

WITHHELD = "[log message withheld by the security guard]"


class GuardLoggingFilter(logging.Filter):
    """Replace each record's message (and exception text) with the guard's redacted text.

    Attach it to handlers (it then sees records from every logger). Records are never dropped:
    a blocked or failing message becomes :data:`WITHHELD`.
    """

    def __init__(self, guard: SecurityGuard, name: str = "") -> None:
        super().__init__(name)
        self._guard = guard
        self._busy = threading.local()

    def _clean(self, text: str) -> str:
        decision = self._guard.guard(text, Sink.LOG)
        return decision.text if decision.text is not None else WITHHELD

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(self._busy, "active", False):
            return True  # a record logged by the guard itself; its text carries no content
        self._busy.active = True
        try:
            try:
                message = record.getMessage()
            except Exception:
                message = str(record.msg)
            record.msg = self._clean(message)
            record.args = None
            if record.exc_info:
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = self._guard.guard(text, Sink.TRANSCRIPT).text or WITHHELD
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = self._guard.guard(record.exc_text, Sink.TRANSCRIPT).text or WITHHELD
            if record.stack_info:
                record.stack_info = self._guard.guard(record.stack_info, Sink.TRANSCRIPT).text or WITHHELD
        except Exception:
            record.msg = WITHHELD
            record.args = None
            record.exc_info = None
            record.exc_text = None
        finally:
            self._busy.active = False
        return True
