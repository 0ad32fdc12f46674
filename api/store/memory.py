"""What a process remembers between requests, bounded: a least-recently-used memory whose
entries each have a size (1 unless told), dropped oldest first beyond its capacity. The count
per data version (api.store.queries) keeps its here."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self._entries: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: V, size: int = 1) -> None:
        """Keep `value` under `key` (replacing what was there), dropping the least recently
        used entries to make room."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= old[0]
            self._entries[key] = (size, value)
            self.size += size
            while self.size > self.capacity and self._entries:
                _key, (dropped, _value) = self._entries.popitem(last=False)
                self.size -= dropped

    def entries(self) -> OrderedDict[Hashable, tuple[int, V]]:
        """A copy of what it holds, least recently used first: key -> (size, value)."""
        with self._lock:
            return OrderedDict(self._entries)
