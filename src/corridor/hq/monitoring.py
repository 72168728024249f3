"""HQ's monitoring: the monitor's rules fed from what HQ stores, and their alerts kept in the store.

::

    passages   ingest commits ──> on_passages(checked passages) ─┐
    positions  intake commits ──> on_positions(stored fixes)   ──┼──> Monitor ──> AlertChange
    syncs      a post pushes  ──> on_sync(post, at)             ──┤        │
    time       MonitorLoop    ──> tick()                        ──┘        v
                                                      alerts table (by key) + live feed

The rules themselves (:mod:`corridor.monitor`) are pure; this module is their I/O. One lock
serialises the monitor: ingest runs in sync threads, the intake in its own server, the loop in a
thread, and a rule's state is not built for concurrent updates. Each batch of changes is written
in one transaction, *after* the data that caused it committed: an alert never points at a
passage or position the store does not hold.

An alert is one row per key. ``opened`` inserts it (or, after a restart, takes over the open row
of the same key), ``updated`` rewrites its severity, summary, evidence and figures, ``closed``
sets ``closed_at``. Who acknowledged it is HQ's own fact (:mod:`corridor.hq.alerts`) and is never
overwritten here.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from corridor.hq.alerts import alert_json
from corridor.hq.live import ALERT
from corridor.model.corridor import Corridor
from corridor.model.events import PrivateRecord, format_time
from corridor.model.pseudonym import normalise_plate, vehicle_pseudonym
from corridor.model.signing import SignedPassage
from corridor.monitor.alerts import Alert, AlertChange, ChangeKind
from corridor.monitor.config import MonitorConfig
from corridor.monitor.convoys import ConvoyPlan
from corridor.monitor.crews import CrewAssignment
from corridor.monitor.engine import Clock, Monitor, system_clock
from corridor.monitor.observations import PassageObservation, PositionFix
from corridor.store.engine import Store
from corridor.store.schema import alerts, devices, vehicles

log = logging.getLogger("corridor.hq.monitoring")

#: ``publish(topic, data)``: the live feed the coordinator's pages listen to.
Publish = Callable[[str, Mapping[str, Any]], object]
#: What the monitor is told about crews and convoys, read from the registries when it starts.
Plans = Callable[[], tuple[Sequence[CrewAssignment], Sequence[ConvoyPlan]]]


def _no_plans() -> tuple[Sequence[CrewAssignment], Sequence[ConvoyPlan]]:
    return (), ()


@dataclass(frozen=True, slots=True)
class Registry:
    """What the registry rules compare with: registered plates, their pseudonyms, live devices."""

    plates: frozenset[str]
    pseudonyms: frozenset[str]
    devices: frozenset[str]


def read_registry(conn: Connection, pseudonym_key: bytes) -> Registry:
    """The vehicle and device registries as the monitor needs them."""
    plates = frozenset(
        conn.execute(select(vehicles.c.plate).where(vehicles.c.registered == 1)).scalars()
    )
    live = frozenset(
        conn.execute(select(devices.c.device_id).where(devices.c.revoked_at.is_(None))).scalars()
    )
    return Registry(plates, frozenset(vehicle_pseudonym(p, pseudonym_key) for p in plates), live)


def alert_row(alert: Alert) -> dict[str, object]:
    """The columns the monitor owns of an alert's row (never who acknowledged it)."""
    return {
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "subject": alert.subject[:64],
        "source": f"{alert.subject_kind.value}:{alert.subject}"[:64],
        "message": alert.summary,
        "evidence": json.dumps(list(alert.evidence)),
        "figures": json.dumps(dict(alert.figures), sort_keys=True),
        "closed_at": format_time(alert.closed_at) if alert.closed_at is not None else None,
    }


def store_changes(conn: Connection, changes: Iterable[AlertChange]) -> list[tuple[int, str]]:
    """Write ``changes`` to the alerts table, one row per alert key (see the module's doc).
    Returns (row id, change) for each change written."""
    written: list[tuple[int, str]] = []
    for change in changes:
        alert = change.alert
        row = alert_row(alert)
        open_row = conn.execute(
            select(alerts.c.id)
            .where(alerts.c.alert_key == alert.key, alerts.c.closed_at.is_(None))
            .order_by(alerts.c.id.desc())
            .limit(1)
        ).scalar()
        if open_row is not None:
            conn.execute(update(alerts).where(alerts.c.id == open_row).values(**row))
            written.append((open_row, change.change.value))
        elif change.change is ChangeKind.OPENED:
            inserted = conn.execute(
                insert(alerts).values(
                    **row,
                    alert_key=alert.key,
                    raised_at=format_time(alert.opened_at),
                    acknowledged=0,
                )
            )
            key = inserted.inserted_primary_key
            assert key is not None
            written.append((int(key[0]), change.change.value))
        # An update or close of a key with no open row: an alert the store closed already (at a
        # restart, say); the monitor's view is not written back over it.
    return written


class HqMonitor:
    """The monitor of one HQ, fed from its store's commits; thread-safe."""

    def __init__(
        self,
        store: Store,
        corridor: Corridor,
        pseudonym_key: bytes,
        *,
        config: MonitorConfig | None = None,
        clock: Clock = system_clock,
        publish: Publish | None = None,
        plans: Plans = _no_plans,
        start: datetime | None = None,
    ) -> None:
        self.store = store
        self.pseudonym_key = pseudonym_key
        self.publish = publish
        self.clock = clock
        self._plans = plans
        self._lock = threading.Lock()
        self._worker = _Worker()
        self._replayed_to: datetime | None = None
        with store.read() as conn:
            self.registry = read_registry(conn, pseudonym_key)
        crews, convoys = plans()
        self._convoys = {plan.convoy_id for plan in convoys}
        self.monitor = Monitor(
            corridor,
            config=config,
            vehicles=self.registry.pseudonyms,
            devices=self.registry.devices,
            crews=crews,
            convoys=convoys,
            clock=clock,
            start=start,
        )

    # -- inputs ---------------------------------------------------------------------------------

    def observation(
        self, passage: SignedPassage, private: PrivateRecord | None
    ) -> PassageObservation:
        """A stored passage as the rules see it, with HQ's verdict on its plate."""
        registered = (
            None if private is None else normalise_plate(private.plate) in self.registry.plates
        )
        return PassageObservation.from_entry(passage.entry, registered=registered)

    def on_passages(self, passages: Sequence[tuple[SignedPassage, PrivateRecord | None]]) -> None:
        """Passages ingest has just committed (new ones only, in the batch's order): judged on
        the monitor's own thread, so that a push is answered without waiting for its alerts."""
        self._worker.submit(lambda: self._passages_now(passages))

    def on_positions(self, fixes: Sequence[PositionFix]) -> None:
        """Positions the intake has just committed (judged on the monitor's thread)."""
        self._worker.submit(lambda: self._positions_now(fixes))

    def on_sync(self, post_id: str, at: datetime) -> None:
        self._worker.submit(lambda: self._sync_now(post_id, at))

    def flush(self) -> None:
        """Wait until everything handed to the monitor so far is judged and its alerts stored."""
        self._worker.flush()

    def close(self) -> None:
        """Stop the monitor's thread, dropping what it has not judged yet: the data is stored,
        and the next start replays it (corridor.hq.monitor_start), so a stop never waits for
        a backlog."""
        self._worker.close()

    def _passages_now(self, passages: Sequence[tuple[SignedPassage, PrivateRecord | None]]) -> None:
        with self._guarded("passages"):
            observations = sorted(
                (self.observation(p, private) for p, private in passages),
                key=lambda o: o.observed_at,
            )
            changes = [c for obs in observations for c in self.monitor.on_passage(obs)]
            self._save(changes)

    def _positions_now(self, fixes: Sequence[PositionFix]) -> None:
        with self._guarded("positions"):
            self._save(self.monitor.on_positions(fixes))

    def _sync_now(self, post_id: str, at: datetime) -> None:
        with self._guarded("a sync"):
            self._save(self.monitor.on_sync(post_id, at))

    def tick(self, now: datetime | None = None) -> list[AlertChange]:
        """Run the time-driven rules up to ``now`` (default: the clock), after everything handed
        to the monitor so far (an arrival still queued must not look overdue)."""
        self.flush()
        with self._lock:
            changes = self.monitor.tick(now)
            self._save(changes)
        return changes

    def refresh_registry(self, at: datetime | None = None) -> None:
        """Read the registries again (a vehicle or device registered since closes its alert)."""
        with self.store.read() as conn:
            registry = read_registry(conn, self.pseudonym_key)
        if registry == self.registry:
            return
        with self._lock:
            self.registry = registry
            changes = self.monitor.update_registry(
                at or self.clock(), vehicles=registry.pseudonyms, devices=registry.devices
            )
            self._save(changes)

    def refresh_plans(self) -> None:
        """Read the crews' zones and the convoys again (added from the workspace or the CLI)."""
        crews, convoys = self._plans()
        with self._guarded("new plans"):
            self.monitor.set_crew_assignments(crews)
            changes: list[AlertChange] = []
            for plan in convoys:
                if plan.convoy_id not in self._convoys:
                    self._convoys.add(plan.convoy_id)
                    changes += self.monitor.add_convoy(plan)
            self._save(changes)

    def replay(
        self,
        passages: Iterable[PassageObservation],
        fixes: Iterable[PositionFix],
        syncs: Iterable[tuple[str, datetime]] = (),
        *,
        until: datetime,
        step: timedelta,
    ) -> None:
        """Feed passages and fixes (each in time order) as if they arrived live, up to ``until``:
        what the demo and a warm start after a restart do. Time advances in windows of ``step``:
        a window's posts' syncs and passages, then its fixes as one batch (projected once), then
        a tick at its end. No rule reads both passages and positions, so their order within a
        window does not matter; each rule still sees its own inputs in time order."""
        with self._guarded("a replay"):
            changes: list[AlertChange] = []
            pending_passages = iter(passages)
            pending_fixes = iter(fixes)
            next_passage = next(pending_passages, None)
            next_fix = next(pending_fixes, None)
            pending_syncs = iter(syncs)
            next_sync = next(pending_syncs, None)
            window_end = self._replayed_to or _first(next_passage, next_fix, until)
            while window_end < until or next_passage is not None or next_fix is not None:
                window_end += step
                while next_sync is not None and next_sync[1] < window_end:
                    changes += self.monitor.on_sync(*next_sync)
                    next_sync = next(pending_syncs, None)
                while next_passage is not None and next_passage.observed_at < window_end:
                    changes += self.monitor.on_passage(next_passage)
                    next_passage = next(pending_passages, None)
                batch: list[PositionFix] = []
                while next_fix is not None and next_fix.at < window_end:
                    batch.append(next_fix)
                    next_fix = next(pending_fixes, None)
                changes += self.monitor.on_positions(batch)
                changes += self.monitor.tick(window_end)
            self._replayed_to = window_end
            self._save(changes)

    @contextmanager
    def _guarded(self, what: str) -> Iterator[None]:
        """The lock, and a failure of the monitor logged, never raised into ingest or the
        intake: their data is committed already, and a push must not fail for an alert."""
        with self._lock:
            try:
                yield
            except Exception:
                log.exception("the monitor failed on %s; the data itself is stored", what)

    # -- output ---------------------------------------------------------------------------------

    def _save(self, changes: list[AlertChange]) -> None:
        if not changes:
            return
        with self.store.write() as conn:
            written = store_changes(conn, collapsed(changes))
            rows = {
                row.id: row
                for row in conn.execute(
                    select(alerts).where(alerts.c.id.in_({i for i, _ in written}))
                )
            }
        if self.publish is not None:
            for row_id, change in written:
                # The row as the workspace shows it, id included, so a page can acknowledge it.
                self.publish(ALERT, {**alert_json(rows[row_id]), "change": change})


def collapsed(changes: Sequence[AlertChange]) -> list[AlertChange]:
    """One change per alert key, as it last stood: the row needs only the final state (an
    unknown vehicle seen at every passage of a push is one write, not one a passage). A key
    opened in the batch stays an opening, so its row is inserted."""
    last: dict[str, AlertChange] = {}
    for change in changes:
        earlier = last.get(change.alert.key)
        if earlier is not None and earlier.change is ChangeKind.OPENED:
            change = AlertChange(ChangeKind.OPENED, change.alert)
        last[change.alert.key] = change
    return list(last.values())


class _Worker:
    """The monitor's own thread: jobs run one at a time, in the order they came. The queue is
    bounded: if the monitor falls that far behind, ingest waits rather than memory grows."""

    def __init__(self, size: int = 10_000) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(size)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._closing = threading.Event()

    def submit(self, job: Callable[[], None]) -> None:
        if self._closing.is_set():
            return
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="monitor-jobs", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def flush(self) -> None:
        if self._thread is not None:
            self._jobs.join()

    def close(self) -> None:
        self._closing.set()
        with self._start:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if not self._closing.is_set():
                    job()  # each job guards itself (HqMonitor._guarded): the thread never dies
            finally:
                self._jobs.task_done()


def _first(
    passage: PassageObservation | None, fix: PositionFix | None, until: datetime
) -> datetime:
    """Where a replay starts: at its earliest input (on a whole minute), or at ``until``."""
    times = [] if passage is None else [passage.observed_at]
    times += [] if fix is None else [fix.at]
    return min(times, default=until).replace(second=0, microsecond=0)


class MonitorLoop:
    """Ticks the monitor every ``interval`` seconds and re-reads the registries (background)."""

    def __init__(self, monitor: HqMonitor, interval: float = 10.0) -> None:
        self.monitor = monitor
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.monitor.refresh_registry()
                self.monitor.refresh_plans()
            except Exception:  # the store is away for a moment: tick anyway, read again later
                log.exception("the monitor could not read the registries")
            self.monitor.tick()
