"""The order in which overlapping pushes of one post are written at HQ.

A post keeps two pushes in flight (docs/sync.md): while HQ writes one, it verifies the next, so
the signature checks of one batch overlap the store's commit of the other. Verification may run
in any order, but the writes must follow the post's numbering, or HQ would log a later batch
first and report a gap that is only a race. :class:`PushOrder` makes a push wait, before its
write, while a push of the same post with a lower first seq is still in flight in this process.

The wait is bounded (``patience``): a push is never held for good by another that stalls; past
the bound it is written anyway, and any gap that leaves is reported as usual (sync is correct in
any order; the order only keeps reports and alerts free of races). Pushes that reach different
HQ processes are not ordered against each other.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class PushOrder:
    """In-flight pushes by post, each known by its first seq."""

    def __init__(self, patience: float = 5.0, monotonic: Callable[[], float] = time.monotonic):
        self.patience = patience
        self._monotonic = monotonic
        self._changed = threading.Condition()
        self._in_flight: dict[str, Counter[int]] = {}

    @contextmanager
    def in_flight(self, post: str, first_seq: int) -> Iterator[Callable[[], bool]]:
        """Count this push as in flight while the block runs; the block calls the function it
        is given before writing: it waits for earlier pushes of ``post`` and says whether it had
        to give up waiting."""
        with self._changed:
            self._in_flight.setdefault(post, Counter())[first_seq] += 1
        try:
            yield lambda: self._wait_for_earlier(post, first_seq)
        finally:
            with self._changed:
                pushes = self._in_flight[post]
                pushes[first_seq] -= 1
                if pushes[first_seq] == 0:
                    del pushes[first_seq]
                if not pushes:
                    del self._in_flight[post]
                self._changed.notify_all()

    def _wait_for_earlier(self, post: str, first_seq: int) -> bool:
        """Block while a push of ``post`` with a lower first seq is in flight; True if the wait
        ran out first."""
        deadline = self._monotonic() + self.patience
        with self._changed:
            while any(seq < first_seq for seq in self._in_flight.get(post, ())):
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    return True
                self._changed.wait(remaining)
        return False
