"""In-process memos on top of the on-disk extraction cache: what a long-lived server reuses between spawns.

:class:`ExtractionMemo` maps a file's identity as ``stat`` reports it (path, device, inode, size,
``mtime_ns``) and the per-file budget to its extraction, so a second bundle over unchanged files
reads, hashes and looks up nothing. Like git's index it distrusts "racy" entries: a file modified
less than :data:`RACY_NS` before it was read could change again within the same timestamp tick
without changing its size, so it is not memoised (the content-hash cache still serves it).
:class:`RankMemo` keeps the last rankings by their exact inputs. Both are bounded and thread-safe;
the extraction cache version is part of every key (see :data:`orchestra.context.extraction.STRATEGY_VERSION`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

RACY_NS = 2_000_000_000
MAX_EXTRACTIONS = 1024
MAX_RANKINGS = 16
V = TypeVar("V")


class BoundedMemo(Generic[V]):
    """A thread-safe LRU map with at most ``limit`` entries."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def stat_key(relative: str, info: os.stat_result, per_file: int, version: str) -> tuple[object, ...] | None:
    """The memo key of a regular file, or ``None`` when its timestamp is too recent to trust."""
    if time.time_ns() - info.st_mtime_ns < RACY_NS:
        return None
    return (version, relative, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, per_file)
