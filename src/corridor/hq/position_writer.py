"""Group commit of the position intake: one thread commits queued requests in batches.

The writer takes every request that queued while it was committing the previous batch (at most
``max_batch``), so one commit's fsync is shared by every tracker that reported meanwhile, and no
request waits longer than one commit for its turn: no timer, no added delay. A request is
answered only when its future resolves, which is after its batch committed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from corridor.errors import CorridorError
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
        job = _Job(reports, received, Future())
        self._start()
        self._queue.put(job)
        return job.future

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
            outcomes = self.intake.store_batch([(job.reports, job.received) for job in batch])
        except Exception as exc:  # the database failed: every request in the batch is refused
            log.error("storing %d position requests failed: %s", len(batch), type(exc).__name__)
            for job in batch:
                job.future.set_exception(exc)
            return
        committed: list[StoredPosition] = []
        for job, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, CorridorError):
                job.future.set_exception(outcome)
            else:
                committed.extend(outcome)
                job.future.set_result(outcome)
        self.intake.hand_on(committed)


@dataclass(frozen=True, slots=True)
class _Job:
    reports: Sequence[PositionReport]
    received: int
    future: Future[list[StoredPosition]]
