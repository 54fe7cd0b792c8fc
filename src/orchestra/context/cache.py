"""A cache of file extractions in ``.agent-workflow/cache/context.sqlite``, shared by processes.

Keyed by content hash, language, per-file budget and strategy version (see
:func:`orchestra.context.extraction.cache_key`), so a changed file, budget or strategy
simply misses. SQLite in WAL mode makes every write one transaction: a reader in another
process sees a whole entry or none; each entry also carries an HMAC-SHA256 of its key and
blob under a key derived from the workspace key, and an entry that does not verify (torn,
corrupt, moved or forged) is treated as a miss (and counted). Because entries are
authenticated and hold only text that already passed the guard, rendering from them does
not guard the text again. The file is bounded: past
``max_bytes`` the oldest entries are evicted. Entries hold only guarded text. The cache
never creates ``.agent-workflow/``: without that folder (or when it cannot be written) the
cache is off and bundles are built without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from orchestra.context.extraction import Extraction

CACHE_DIR = "cache"
CACHE_FILE = "context.sqlite"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS extractions (
    key TEXT PRIMARY KEY,
    blob BLOB NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL
)
"""


@dataclass
class CacheStats:
    """What the cache did since it was opened."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    rejected: int = 0
    evicted: int = 0


class ExtractionCache:
    """Get and put extractions by key; every failure degrades to a miss, never to an error."""

    def __init__(self, workflow_dir: Path, secret: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._workflow_dir = workflow_dir
        self._mac_key = hmac.new(secret, b"orchestra context cache v1", hashlib.sha256).digest()
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._disabled = False
        self.stats = CacheStats()

    @property
    def path(self) -> Path:
        return self._workflow_dir / CACHE_DIR / CACHE_FILE

    def get_many(self, keys: list[str]) -> dict[str, Extraction]:
        """The entries found for ``keys`` (verified); the rest are misses."""
        found: dict[str, Extraction] = {}
        with self._lock:
            conn = self._open()
            rows: list[tuple[str, bytes, str]] = []
            if conn is not None and keys:
                try:
                    for start in range(0, len(keys), 500):
                        batch = keys[start:start + 500]
                        marks = ",".join("?" * len(batch))
                        rows += conn.execute(f"SELECT key, blob, digest FROM extractions WHERE key IN ({marks})",
                                             batch).fetchall()
                except sqlite3.Error:
                    rows = []
        for key, blob, digest in rows:
            if not hmac.compare_digest(self._mac(key, blob), digest):
                self.stats.rejected += 1
                continue
            try:
                found[key] = Extraction.from_json(blob)
            except (ValueError, KeyError, TypeError):
                self.stats.rejected += 1
        self.stats.hits += len(found)
        self.stats.misses += len(keys) - len(found)
        return found

    def get_blob(self, key: str) -> bytes | None:
        """A verified raw entry (e.g. a ranking: see :mod:`orchestra.context.preprocessor`), or ``None``."""
        with self._lock:
            conn = self._open()
            if conn is None:
                return None
            try:
                row = conn.execute("SELECT blob, digest FROM extractions WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None
        if row is None:
            return None
        if not hmac.compare_digest(self._mac(key, row[0]), row[1]):
            self.stats.rejected += 1
            return None
        return bytes(row[0])

    def put_blob(self, key: str, blob: bytes) -> None:
        """Store one raw entry (authenticated and bounded like the extractions)."""
        self._put_rows([(key, blob, self._mac(key, blob), len(blob))])

    def put_many(self, entries: dict[str, Extraction]) -> None:
        """Store ``entries`` in one transaction, then evict the oldest past the size bound."""
        if not entries:
            return
        rows = []
        for key, extraction in sorted(entries.items()):
            blob = extraction.to_json()
            rows.append((key, blob, self._mac(key, blob), len(blob)))
        self._put_rows(rows)

    def _put_rows(self, rows: list[tuple[str, bytes, str, int]]) -> None:
        with self._lock:
            conn = self._open()
            if conn is None:
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany("INSERT OR REPLACE INTO extractions (key, blob, digest, size) "
                                     "VALUES (?, ?, ?, ?)", rows)
                    self._evict(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                self.stats.stored += len(rows)
            except sqlite3.Error:
                return

    def _mac(self, key: str, blob: bytes) -> str:
        return hmac.new(self._mac_key, key.encode("utf-8") + b"\0" + blob, hashlib.sha256).hexdigest()

    def close(self) -> None:
        """Close the connection (the cache reopens on next use)."""
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def _evict(self, conn: sqlite3.Connection) -> None:
        total = conn.execute("SELECT COALESCE(SUM(size), 0) FROM extractions").fetchone()[0]
        if total <= self._max_bytes:
            return
        target = self._max_bytes * 3 // 4
        removed = 0
        for rowid, size in conn.execute("SELECT rowid, size FROM extractions ORDER BY rowid").fetchall():
            if total <= target:
                break
            conn.execute("DELETE FROM extractions WHERE rowid = ?", (rowid,))
            total -= size
            removed += 1
        self.stats.evicted += removed

    def _open(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._disabled:
            return self._conn
        if not self._workflow_dir.is_dir():  # reading never creates the workspace's state folder
            return None
        try:
            self.path.parent.mkdir(exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 5000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error):
            self._disabled = True
            return None
        self._conn = conn
        return conn
