"""``unknown_vehicle`` and ``unknown_device``: sightings of what the registry does not know.

A passage is by an unknown vehicle when HQ's verdict says so (``registered`` is false: the plate
is not in the vehicle registry) or when its pseudonym is not in the registry set the rule was
given. A position is from an unknown device when its device id is not in the device set. Either
set may be ``None``: that check is off (a deployment without trackers has no device registry).

One alert per vehicle or device, updated at each new sighting (count, last post), so a vehicle
that comes back every day is one alert, not one per passage. It is critical once the vehicle was
let into the corridor, a warning while posts only turned it away. It closes when the registry
learns the subject (:meth:`RegistryRule.update_registry`) or after ``close_after`` without a
sighting, which keeps the table bounded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from corridor.model.vocabulary import PassageKind
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Figure,
    Severity,
    SubjectKind,
)
from corridor.monitor.config import RegistryConfig
from corridor.monitor.observations import PassageObservation, PositionFix
from corridor.monitor.state import Deadlines

#: Passages after which the vehicle is not in the corridor: the post kept it out.
_KEPT_OUT = frozenset({PassageKind.DENIED, PassageKind.TURNED_BACK})


class RegistryRule:
    """Checks every passage and fix against the registry sets it holds."""

    kinds = (AlertKind.UNKNOWN_VEHICLE, AlertKind.UNKNOWN_DEVICE)

    def __init__(
        self,
        vehicles: frozenset[str] | None = None,
        devices: frozenset[str] | None = None,
        config: RegistryConfig | None = None,
    ) -> None:
        self.vehicles = vehicles
        self.devices = devices
        self.config = config or RegistryConfig()
        self.alerts = AlertTable()
        self._quiet: Deadlines[str] = Deadlines()
        self._fixes: dict[str, int] = {}  # fixes seen per open unknown_device alert

    def update_registry(
        self,
        at: datetime,
        *,
        vehicles: frozenset[str] | None = None,
        devices: frozenset[str] | None = None,
    ) -> list[AlertChange]:
        """Replace the given sets (``None`` keeps a set) and close alerts for subjects now known."""
        if vehicles is not None:
            self.vehicles = vehicles
        if devices is not None:
            self.devices = devices
        changes = []
        for alert in self.alerts:
            known = self.vehicles if alert.kind is AlertKind.UNKNOWN_VEHICLE else self.devices
            if known is not None and alert.subject in known:
                self._quiet.cancel(alert.key)
                seen = self._fixes.pop(alert.key, None)
                changes.append(
                    self.alerts.close(
                        alert.key,
                        at,
                        summary=f"{alert.summary} Now registered.",
                        figures={"registered": 1, **({"sightings": seen} if seen else {})},
                    )
                )
        return changes

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        known = obs.registered and (self.vehicles is None or obs.vehicle in self.vehicles)
        if known:
            return []
        admitted = obs.kind not in _KEPT_OUT
        post = obs.post_id
        return self._sighting(
            kind=AlertKind.UNKNOWN_VEHICLE,
            subject=obs.vehicle,
            subject_kind=SubjectKind.VEHICLE,
            at=obs.observed_at,
            evidence=obs.event_id,
            severity=Severity.CRITICAL if admitted else Severity.WARNING,
            what=(
                f"Vehicle {obs.vehicle} ({obs.vehicle_class.value}) is not in the vehicle "
                f"registry; last recorded {obs.kind.value} at {post}."
            ),
            where=post,
        )

    def on_position(self, fix: PositionFix) -> list[AlertChange]:
        if self.devices is None or fix.device_id in self.devices:
            return []
        return self._sighting(
            kind=AlertKind.UNKNOWN_DEVICE,
            subject=fix.device_id,
            subject_kind=SubjectKind.DEVICE,
            at=fix.at,
            evidence=fix.id,
            severity=Severity.WARNING,
            what=f"Tracker {fix.device_id} is not in the device registry.",
            where=None,
        )

    def _sighting(
        self,
        *,
        kind: AlertKind,
        subject: str,
        subject_kind: SubjectKind,
        at: datetime,
        evidence: str,
        severity: Severity,
        what: str,
        where: str | None,
    ) -> list[AlertChange]:
        key = f"{kind}:{subject}"
        due = at + self.config.close_after
        old_due = self._quiet.get(key)
        self._quiet.set(key, due if old_due is None or due > old_due else old_due)
        alert = self.alerts.get(key)
        place = {"last_post": where} if where is not None else {}
        if alert is None:
            opened = Alert(
                kind=kind,
                key=key,
                severity=severity,
                subject=subject,
                subject_kind=subject_kind,
                opened_at=at,
                summary=what,
                evidence=(evidence,),
                figures={"sightings": 1, **place},
            )
            return [self.alerts.open(opened)]
        if evidence in alert.evidence:
            return []  # the same passage or fix delivered twice
        if kind is AlertKind.UNKNOWN_DEVICE:
            # A tracker reports every minute: count its fixes, but do not update the alert for
            # each one (the count is shown when it closes).
            self._fixes[key] = self._fixes.get(key, 1) + 1
            return []
        worse = severity if severity.rank > alert.severity.rank else alert.severity
        sightings = int(alert.figures.get("sightings", 1)) + 1
        change = self.alerts.update(
            key,
            at,
            severity=worse,
            summary=what,
            evidence=[evidence],
            figures={"sightings": sightings, **place},
        )
        return [change] if change is not None else []

    def tick(self, now: datetime) -> list[AlertChange]:
        """Close alerts whose subject has not been seen for ``close_after``."""
        changes = []
        for key, due in self._quiet.pop_due(now):
            if key in self.alerts:
                figures: dict[str, Figure] = {
                    "quiet_h": self.config.close_after / timedelta(hours=1)
                }
                if key in self._fixes:
                    figures["sightings"] = self._fixes.pop(key)
                changes.append(self.alerts.close(key, due, figures=figures))
        return changes
