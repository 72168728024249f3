"""The incidents a scenario can inject, and the variants of those that go wrong in more than one
way. Apart from :mod:`.scenario_schema` so the names stay one short list to read."""

from __future__ import annotations

from enum import StrEnum


class IncidentKind(StrEnum):
    """Incidents a scenario can inject so that monitoring has something to find."""

    DISRUPTION = "disruption"
    LEAVES_BAND = "leaves_band"
    OVERDUE = "overdue"
    LONG_STOP = "long_stop"
    UNREGISTERED_VEHICLE = "unregistered_vehicle"
    SILENT_POST = "silent_post"
    CREW_ZONE = "crew_zone"
    ENTERS_CREW_ZONE = "enters_crew_zone"
    CONVOY = "convoy"
    UNKNOWN_DEVICE = "unknown_device"


class IncidentVariant(StrEnum):
    """How a ``crew_zone`` or ``convoy`` incident goes wrong (the first of each is the default)."""

    LEAVES_ZONE = "leaves_zone"  # crew_zone: the crew walks out of its zone in its window
    OUTSIDE_WINDOW = "outside_window"  # crew_zone: the crew works on after its window
    FALLS_BEHIND = "falls_behind"  # convoy: the last bus falls behind on the road
    OUT_OF_ORDER = "out_of_order"  # convoy: the second bus overtakes the first


#: The variants each kind may take, its default first.
VARIANTS: dict[IncidentKind, tuple[IncidentVariant, ...]] = {
    IncidentKind.CREW_ZONE: (IncidentVariant.LEAVES_ZONE, IncidentVariant.OUTSIDE_WINDOW),
    IncidentKind.CONVOY: (IncidentVariant.FALLS_BEHIND, IncidentVariant.OUT_OF_ORDER),
}


def default_variant(kind: IncidentKind) -> IncidentVariant | None:
    variants = VARIANTS.get(kind)
    return variants[0] if variants else None
