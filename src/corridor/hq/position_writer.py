"""Group commit of the position intake: one thread commits queued requests in batches.

The writer takes every request that queued while it was committing the previous batch (at most
``max_batch``), so one commit's fsync is shared by every tracker that reported meanwhile, and no
request waits longer than one commit for its turn: no timer, no added delay. A request is
answered only when its future resolves, which is after its batch committed.

Requests from an event loop (:meth:`PositionWriter.submit_async`, the web app's path) are
resolved together: one ``call_soon_threadsafe`` a batch and loop wakes the loop once for the
whole batch, where a ``concurrent.futures.Future`` per request would wake it once a request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from corridor.hq.osmand import PositionReport
from corridor.hq.positions import PositionIntake, StoredPosition

log = logging.getLogger(__name__)

#: Most requests one transaction takes: bounds a batch's time and memory under a burst.
MAX_BATCH = 500


class PositionWriter:
    """One thread that commits queued requests in batches. :meth:`submit` returns a future that
    holds what was stored (or the refusal) once the batch is committed."""

    def __init__(self, intake: PositionIntake, max_batch: int = MAX_BATCH) -> None:
        self.intake = intake
        self.max_batch = max_batch
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, reports: Sequence[PositionReport]) -> Future[list[StoredPosition]]:
        """Check ``reports`` now (raising ValidationError) and queue them for the next commit."""
        received = self.intake.check(reports)
        future: Future[list[StoredPosition]] = Future()
        self._start()
        self._queue.put(_Job(reports, received, future, None))
        return future

    def submit_async(
        self, reports: Sequence[PositionReport]
    ) -> asyncio.Future[list[StoredPosition]]:
        """Like :meth:`submit`, from the running event loop: an asyncio future, resolved on that
        loop once the batch is committed."""
        received = self.intake.check(reports)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[StoredPosition]] = loop.create_future()
        self._start()
        self._queue.put(_Job(reports, received, future, loop))
        return future

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="position-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stopping = [first], False
            while len(batch) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            self._commit(batch)
            if stopping:
                return

    def _commit(self, batch: list[_Job]) -> None:
        try:
            outcomes: list[list[StoredPosition] | BaseException] = list(
                self.intake.store_batch([(job.reports, job.received) for job in batch])
            )
        except Exception as exc:  # the database failed: every request in the batch is refused
            log.error("storing %d position requests failed: %s", len(batch), type(exc).__name__)
            outcomes = [exc] * len(batch)
        on_loops: dict[asyncio.AbstractEventLoop, list[tuple[_Job, _Outcome]]] = {}
        committed: list[StoredPosition] = []
        for job, outcome in zip(batch, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                committed.extend(outcome)
            if job.loop is None:
                _resolve(job.future, outcome)
            else:
                on_loops.setdefault(job.loop, []).append((job, outcome))
        for loop, resolved in on_loops.items():
            try:
                loop.call_soon_threadsafe(_resolve_all, resolved)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass
        self.intake.hand_on(committed)


_Outcome = list[StoredPosition] | BaseException
_AnyFuture = Future[list[StoredPosition]] | asyncio.Future[list[StoredPosition]]


def _resolve(future: _AnyFuture, outcome: _Outcome) -> None:
    if future.done():  # an asyncio future whose request was cancelled (the client went away)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _resolve_all(resolved: list[tuple[_Job, _Outcome]]) -> None:
    for job, outcome in resolved:
        _resolve(job.future, outcome)


@dataclass(frozen=True, slots=True)
class _Job:
    reports: Sequence[PositionReport]
    received: int
    future: _AnyFuture
    #: The event loop that waits on ``future`` (an asyncio future), or None (a thread's future).
    loop: asyncio.AbstractEventLoop | None
