"""The monitor: every alert rule behind one object that HQ feeds as data arrives.

::

    monitor = Monitor(corridor, vehicles=registered, devices=trackers, clock=clock)
    changes = monitor.on_passage(PassageObservation.from_entry(entry))   # after ingest commits
    changes += monitor.on_positions(fixes)                               # positions intake
    changes += monitor.on_sync(post_id, received_at)                     # each sync from a post
    changes += monitor.tick()                                            # every minute or so

Each call returns the :class:`~corridor.monitor.alerts.AlertChange` records it caused (opened,
updated, closed), in the order of the times they took effect; the caller stores them and shows
:meth:`Monitor.open_alerts`. Event-driven rules run on each passage or fix; time-driven ones
(overdue, silent post, disruption, stragglers, quiet registry alerts) run in :meth:`tick`, which
takes ``now`` from the injected clock: no rule ever reads the computer's clock itself, so tests
and replays drive time as they like.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from corridor.errors import NotFoundError, ValidationError
from corridor.geo.band import CorridorGeometry
from corridor.model.corridor import Corridor, PostKind
from corridor.monitor.alerts import Alert, AlertChange, AlertTable, require_utc
from corridor.monitor.band import LeftBandRule
from corridor.monitor.config import MonitorConfig
from corridor.monitor.convoys import ConvoyPlan, ConvoyRule
from corridor.monitor.crews import CrewAssignment, CrewZoneRule
from corridor.monitor.disruption import DisruptionRule
from corridor.monitor.observations import PassageObservation, PositionFix
from corridor.monitor.registry import RegistryRule
from corridor.monitor.silence import SilentPostRule
from corridor.monitor.stops import LongStopRule
from corridor.monitor.transit import OverdueRule

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The default clock of a running HQ; tests and replays pass their own."""
    return datetime.now(UTC)


class _Rule(Protocol):
    @property
    def alerts(self) -> AlertTable: ...

    def tick(self, now: datetime) -> list[AlertChange]: ...


def active_checkpoints(corridor: Corridor, active: frozenset[str] | None) -> frozenset[str]:
    """The checkpoints expected to record and sync: ``active`` checked, or every checkpoint."""
    if active is None:
        return frozenset(p.id for p in corridor.checkpoints)
    for post_id in sorted(active):
        if not corridor.has_post(post_id):
            raise ValidationError("active_posts", f"unknown post {post_id!r}")
        if corridor.post(post_id).kind is not PostKind.CHECKPOINT:
            raise ValidationError("active_posts", f"{post_id!r} is not a checkpoint")
    return active


class Monitor:
    """Holds the rules and routes passages, positions, syncs and ticks to them."""

    def __init__(
        self,
        corridor: Corridor,
        *,
        config: MonitorConfig | None = None,
        geometry: CorridorGeometry | None = None,
        vehicles: frozenset[str] | None = None,
        devices: frozenset[str] | None = None,
        crews: Iterable[CrewAssignment] = (),
        convoys: Iterable[ConvoyPlan] = (),
        clock: Clock = system_clock,
        start: datetime | None = None,
    ) -> None:
        self.corridor = corridor
        self.config = config = config or MonitorConfig()
        self.geometry = geometry = geometry or CorridorGeometry(corridor)
        self.clock = clock
        active = active_checkpoints(corridor, config.active_posts)
        self.active_posts = active
        self.band = LeftBandRule(geometry, config.band)
        self.overdue = OverdueRule(geometry, active, config.transit)
        self.stops = LongStopRule(geometry, config.stops)
        self.registry = RegistryRule(vehicles, devices, config.registry)
        self.silence = SilentPostRule(corridor, active, config.silence, start)
        self.disruption = DisruptionRule(config.disruption, start)
        self.crews = CrewZoneRule(geometry, crews, config.crews)
        self.convoys = ConvoyRule(config.convoys, convoys)
        self._rules: tuple[_Rule, ...] = (
            self.band,
            self.overdue,
            self.stops,
            self.registry,
            self.silence,
            self.disruption,
            self.crews,
            self.convoys,
        )

    # -- inputs ---------------------------------------------------------------------------------

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        """A passage HQ has just stored (live, or a post's backlog arriving late)."""
        changes = self.registry.on_passage(obs)
        changes += self.overdue.on_passage(obs)
        changes += self.silence.on_passage(obs)
        changes += self.disruption.on_passage(obs)
        changes += self.convoys.on_passage(obs)
        return _in_time_order(changes)

    def on_position(self, fix: PositionFix) -> list[AlertChange]:
        return self.on_positions([fix])

    def on_positions(self, fixes: Sequence[PositionFix]) -> list[AlertChange]:
        """A batch of fixes: projected to metres once, then fed to every position rule."""
        if not fixes:
            return []
        changes: list[AlertChange] = []
        if self.registry.devices is not None:
            for fix in fixes:
                changes += self.registry.on_position(fix)
        xs, ys = self.geometry.projection.to_metres([f.lon for f in fixes], [f.lat for f in fixes])
        changes += self.band.observe_many(fixes, xs, ys)
        changes += self.stops.observe_many(fixes, xs, ys)
        changes += self.crews.observe_many(fixes, xs, ys)
        return _in_time_order(changes)

    def on_sync(self, post_id: str, at: datetime) -> list[AlertChange]:
        """A post synced with HQ at ``at`` (HQ's receiving time), even with nothing to push."""
        return self.silence.on_sync(post_id, at)

    def tick(self, now: datetime | None = None) -> list[AlertChange]:
        """Run the time-driven checks up to ``now`` (default: the clock) and forget stale state."""
        moment = require_utc("now", now if now is not None else self.clock())
        changes: list[AlertChange] = []
        for rule in self._rules:
            changes += rule.tick(moment)
        return _in_time_order(changes)

    # -- registry and plans ---------------------------------------------------------------------

    def update_registry(
        self,
        at: datetime,
        *,
        vehicles: frozenset[str] | None = None,
        devices: frozenset[str] | None = None,
    ) -> list[AlertChange]:
        """New registry sets (``None`` keeps one); closes alerts of subjects now registered."""
        return self.registry.update_registry(
            require_utc("at", at), vehicles=vehicles, devices=devices
        )

    def set_crew_assignments(self, assignments: Iterable[CrewAssignment]) -> None:
        self.crews.set_assignments(assignments)

    def add_convoy(self, plan: ConvoyPlan) -> list[AlertChange]:
        return self.convoys.add_plan(plan)

    # -- alerts ---------------------------------------------------------------------------------

    def open_alerts(self) -> list[Alert]:
        """Every open alert, oldest first."""
        alerts = [alert for rule in self._rules for alert in rule.alerts]
        return sorted(alerts, key=lambda a: (a.opened_at, a.key))

    def alert(self, key: str) -> Alert | None:
        """The open alert with this key, if any."""
        for rule in self._rules:
            found = rule.alerts.get(key)
            if found is not None:
                return found
        return None

    def acknowledge(self, key: str, by: str, at: datetime) -> AlertChange:
        """Record that ``by`` acknowledged the open alert ``key`` at ``at``."""
        for rule in self._rules:
            if key in rule.alerts:
                return rule.alerts.acknowledge(key, by, at)
        raise NotFoundError(f"no open alert {key!r}")


def _in_time_order(changes: list[AlertChange]) -> list[AlertChange]:
    return sorted(changes, key=lambda c: c.at) if len(changes) > 1 else changes
