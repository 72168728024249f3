"""Bounded, incremental state the rules share: deadlines, recency, edge hysteresis.

Rules run as events arrive and must never rescan history, so:

* :class:`Deadlines` is a heap of due times with lazy re-scheduling: a rule that pushes a
  deadline back (a post spoke again) only records the new time, and the stale heap entry is
  fixed when it surfaces. ``tick`` costs O(log n) per deadline that is due, not a scan.
* :class:`Recency` forgets subjects nobody has heard of for a while, in O(1) per forgotten
  subject, so per-vehicle state stays bounded by the vehicles actually on the road.
* :class:`Hysteresis` is the open/close decision for "outside an edge" rules (the band, a
  crew's zone) that keeps GPS noise at the edge from flapping an alert.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Generic, TypeVar

from corridor.errors import ValidationError

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    """At most one live deadline per key; :meth:`pop_due` hands back the keys that are due."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, K]] = []
        self._due: dict[K, datetime] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, key: object) -> bool:
        return key in self._due

    def get(self, key: K) -> datetime | None:
        return self._due.get(key)

    def set(self, key: K, due: datetime) -> None:
        """Schedule ``key`` at ``due``, replacing any earlier or later deadline it had."""
        old = self._due.get(key)
        self._due[key] = due
        if old is None or due < old:
            heapq.heappush(self._heap, (due, next(self._seq), key))
        # A later deadline needs no push: the old entry surfaces first and is re-pushed.

    def cancel(self, key: K) -> None:
        self._due.pop(key, None)

    def pop_due(self, now: datetime) -> list[tuple[K, datetime]]:
        """Remove and return every ``(key, due)`` with ``due <= now``, earliest first."""
        out: list[tuple[K, datetime]] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, key = heapq.heappop(heap)
            current = self._due.get(key)
            if current is None:
                continue  # cancelled, or already handed out through a duplicate entry
            if current > now:
                heapq.heappush(heap, (current, next(self._seq), key))
                continue
            del self._due[key]
            out.append((key, current))
        out.sort(key=lambda item: item[1])
        return out


class Recency(Generic[K]):
    """Last time each key was heard of, oldest first, so stale keys are found without a scan.

    Keys are kept in the order they were last touched. Inputs arrive roughly in time order, so
    that is the order of their times; a key touched late with an old time is forgotten a little
    late, never early.
    """

    def __init__(self) -> None:
        self._last: OrderedDict[K, datetime] = OrderedDict()

    def __len__(self) -> int:
        return len(self._last)

    def touch(self, key: K, at: datetime) -> None:
        old = self._last.get(key)
        if old is None or at > old:
            self._last[key] = at
            self._last.move_to_end(key)

    def last(self, key: K) -> datetime | None:
        return self._last.get(key)

    def discard(self, key: K) -> None:
        self._last.pop(key, None)

    def stale(self, now: datetime, after: timedelta) -> list[K]:
        """Remove and return the keys last heard of before ``now - after``."""
        limit = now - after
        out: list[K] = []
        while self._last:
            key, at = next(iter(self._last.items()))
            if at >= limit:
                break
            self._last.popitem(last=False)
            out.append(key)
        return out


class Decision(Enum):
    STAY = "stay"
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Hysteresis:
    """When an "outside the edge" alert opens and closes, from signed distances to the edge.

    ``excess`` is metres outside the edge (negative: inside). An alert opens when one fix is
    more than ``open_excess_m`` outside, or ``open_after_fixes`` fixes in a row are outside at
    all; it closes only when a fix is at least ``close_inside_m`` back inside. Between the two
    thresholds nothing changes, which is what keeps noise at the edge from flapping.
    """

    open_excess_m: float
    open_after_fixes: int
    close_inside_m: float

    def __post_init__(self) -> None:
        if self.open_excess_m < 0:
            raise ValidationError("open_excess_m", "must be zero or more metres")
        if self.open_after_fixes < 1:
            raise ValidationError("open_after_fixes", "must be at least one fix")
        if self.close_inside_m < 0:
            raise ValidationError("close_inside_m", "must be zero or more metres")

    def step(self, is_open: bool, run: int, excess: float | None) -> tuple[Decision, int]:
        """The decision for one fix and the new count of consecutive fixes outside.

        ``excess`` of ``None`` is a fix that says nothing about the edge (beyond the end of the
        route): it breaks a run of outside fixes but neither opens nor closes.
        """
        if excess is None:
            return Decision.STAY, 0
        run = run + 1 if excess > 0 else 0
        if is_open:
            return (Decision.CLOSE if excess <= -self.close_inside_m else Decision.STAY), run
        if excess > self.open_excess_m or run >= self.open_after_fixes:
            return Decision.OPEN, run
        return Decision.STAY, run
