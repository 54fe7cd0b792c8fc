"""Prefilter engines built once per process: every guard of a process (one per app, one per hosted workspace
scope) shares the engines of its rule set instead of building its own (about a second of CPU each)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BuiltOnce(Generic[V]):
    """At most ``limit`` built values by key, the oldest dropped first; a key is built once however many
    threads ask at once (the others wait for that build). Values must be read-only once built."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value of ``key``, built now (under the lock) if this process has none."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                found = self._items[key] = build()
                while len(self._items) > self._limit:
                    self._items.popitem(last=False)
            return found
