"""Which clock decides time-based state (lease and session expiry): the store's, unless a test injects one.

With several server processes (or hosts) on one PostgreSQL database, a lease must expire by one clock
for all of them: the database server's (``tx.now()``). A service keeps an optional ``clock`` attribute
that tests set to a fake clock; when it is ``None`` the transaction's clock is used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orchestra.clock import utc_now
from orchestra.store.base import Transaction

Clock = Callable[[], datetime]


def now_of(tx: Transaction, clock: Clock | None) -> datetime:
    """``clock()`` when one is injected, else the store's clock inside ``tx``."""
    return clock() if clock is not None else tx.now()


def local_now(clock: Clock | None) -> datetime:
    """Outside a transaction (display, a cheap pre-check): the injected clock or this machine's."""
    return clock() if clock is not None else utc_now()
