"""HQ monitoring: alert rules over passages and positions, run incrementally, no I/O.

Pure rules and small state machines with a clock seam (docs/monitoring.md). This package imports
only :mod:`corridor.model`, :mod:`corridor.geo`, :mod:`corridor.errors`, the standard library,
numpy and shapely; HQ's services feed it and store what it reports.
"""

from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    ChangeKind,
    Severity,
    SubjectKind,
    acknowledge,
)
from corridor.monitor.band import LeftBandRule, band_excess_m, outside_band
from corridor.monitor.config import (
    ConvoyConfig,
    CrewConfig,
    DisruptionConfig,
    LeftBandConfig,
    MonitorConfig,
    RegistryConfig,
    SilenceConfig,
    StopConfig,
    TransitConfig,
)
from corridor.monitor.convoys import ConvoyPlan, ConvoyRule
from corridor.monitor.crews import CrewAssignment, CrewZoneRule
from corridor.monitor.disruption import DisruptionRule
from corridor.monitor.engine import Clock, Monitor, system_clock
from corridor.monitor.observations import PassageObservation, PositionFix
from corridor.monitor.registry import RegistryRule
from corridor.monitor.silence import SilentPostRule
from corridor.monitor.stops import LongStopRule
from corridor.monitor.transit import OverdueRule

__all__ = [
    "Alert",
    "AlertChange",
    "AlertKind",
    "AlertTable",
    "ChangeKind",
    "Clock",
    "ConvoyConfig",
    "ConvoyPlan",
    "ConvoyRule",
    "CrewAssignment",
    "CrewConfig",
    "CrewZoneRule",
    "DisruptionConfig",
    "DisruptionRule",
    "LeftBandConfig",
    "LeftBandRule",
    "LongStopRule",
    "Monitor",
    "MonitorConfig",
    "OverdueRule",
    "PassageObservation",
    "PositionFix",
    "RegistryConfig",
    "RegistryRule",
    "Severity",
    "SilenceConfig",
    "SilentPostRule",
    "StopConfig",
    "SubjectKind",
    "TransitConfig",
    "acknowledge",
    "band_excess_m",
    "outside_band",
    "system_clock",
]
