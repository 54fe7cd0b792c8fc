"""The state store: a small transactional interface, SQLite by default."""

from orchestra.store.base import Row, Store, Transaction

__all__ = ["Row", "Store", "Transaction"]
