"""The settings of every alert rule, declared once as frozen dataclasses with their defaults.

docs/monitoring.md explains each setting and why its default is what it is; a test checks that
every field here is documented there. Bad values raise :class:`~corridor.errors.ValidationError`
naming the setting, when the config is built (so once, at start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from types import MappingProxyType

from corridor.errors import ValidationError
from corridor.model.vocabulary import Direction, VehicleClass
from corridor.monitor.state import Hysteresis


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValidationError(name, f"must be more than zero, not {value}")


def _not_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValidationError(name, f"must be zero or more, not {value}")


def _duration(name: str, value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValidationError(name, f"must be a positive duration, not {value}")


def _fraction(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ValidationError(name, f"must lie in (0, 1], not {value}")


@dataclass(frozen=True, slots=True)
class LeftBandConfig:
    """``left_band``: a tracked vehicle outside the band of the route in force."""

    open_excess_m: float = 250.0
    open_after_fixes: int = 3
    close_inside_m: float = 100.0
    forget_after: timedelta = timedelta(hours=12)
    track_crews: bool = False

    def __post_init__(self) -> None:
        self.hysteresis()  # validates the three thresholds
        _duration("forget_after", self.forget_after)

    def hysteresis(self) -> Hysteresis:
        return Hysteresis(self.open_excess_m, self.open_after_fixes, self.close_inside_m)


_SPEEDS_KMH: Mapping[VehicleClass, float] = MappingProxyType(
    {
        VehicleClass.CAR: 40.0,
        VehicleClass.BUS: 35.0,
        VehicleClass.TRUCK: 30.0,
        VehicleClass.AMBULANCE: 40.0,
        VehicleClass.REPAIR: 35.0,
        VehicleClass.OFFICIAL: 40.0,
        VehicleClass.HUMANITARIAN: 35.0,
    }
)
_NO_FACTOR: Mapping[Direction, float] = MappingProxyType({d: 1.0 for d in Direction})


@dataclass(frozen=True, slots=True)
class TransitConfig:
    """``overdue``: expected time between consecutive checkpoints, per class and direction."""

    speeds_kmh: Mapping[VehicleClass, float] = field(default_factory=lambda: _SPEEDS_KMH)
    direction_factor: Mapping[Direction, float] = field(default_factory=lambda: _NO_FACTOR)
    margin: timedelta = timedelta(minutes=30)
    margin_fraction: float = 0.5
    forget_after: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        for cls in VehicleClass:
            if cls not in self.speeds_kmh:
                raise ValidationError("speeds_kmh", f"no speed for vehicle class {cls.value!r}")
            _positive(f"speeds_kmh.{cls.value}", self.speeds_kmh[cls])
        for direction in Direction:
            _positive(
                f"direction_factor.{direction.value}", self.direction_factor.get(direction, 1)
            )
        _not_negative("margin_fraction", self.margin_fraction)
        _not_negative("margin", self.margin.total_seconds())
        _duration("forget_after", self.forget_after)


@dataclass(frozen=True, slots=True)
class StopConfig:
    """``long_stop``: no movement beyond a radius for longer than a threshold, away from posts."""

    stop_radius_m: float = 75.0
    min_stop: timedelta = timedelta(minutes=45)
    post_radius_m: float = 500.0
    endpoint_radius_m: float = 3000.0
    forget_after: timedelta = timedelta(hours=12)
    track_crews: bool = False

    def __post_init__(self) -> None:
        _positive("stop_radius_m", self.stop_radius_m)
        _duration("min_stop", self.min_stop)
        _not_negative("post_radius_m", self.post_radius_m)
        _not_negative("endpoint_radius_m", self.endpoint_radius_m)
        _duration("forget_after", self.forget_after)


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """``unknown_vehicle`` / ``unknown_device``: sightings outside the registry."""

    close_after: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        _duration("close_after", self.close_after)


@dataclass(frozen=True, slots=True)
class SilenceConfig:
    """``silent_post``: an active checkpoint that has sent nothing for a while."""

    silent_after: timedelta = timedelta(hours=1)
    escalate_after: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        _duration("silent_after", self.silent_after)
        if self.escalate_after <= self.silent_after:
            raise ValidationError("escalate_after", "must be longer than silent_after")


@dataclass(frozen=True, slots=True)
class DisruptionConfig:
    """``disruption``: hourly flow far below the same hours on recent days, for hours on end."""

    window_hours: int = 3
    baseline_days: int = 7
    min_baseline_days: int = 3
    min_expected: float = 10.0
    drop_ratio: float = 0.3
    max_p_value: float = 1e-4
    sustain_hours: int = 2
    recover_ratio: float = 0.6
    recover_hours: int = 2
    settle: timedelta = timedelta(minutes=10)
    count_total: bool = True
    entry_posts: Mapping[Direction, str] | None = None

    def __post_init__(self) -> None:
        for name in ("window_hours", "baseline_days", "min_baseline_days"):
            _positive(name, getattr(self, name))
        for name in ("sustain_hours", "recover_hours"):
            _positive(name, getattr(self, name))
        if self.min_baseline_days > self.baseline_days:
            raise ValidationError("min_baseline_days", "cannot exceed baseline_days")
        _positive("min_expected", self.min_expected)
        _fraction("drop_ratio", self.drop_ratio)
        _fraction("max_p_value", self.max_p_value)
        _fraction("recover_ratio", self.recover_ratio)
        if self.recover_ratio <= self.drop_ratio:
            raise ValidationError("recover_ratio", "must be above drop_ratio (hysteresis)")
        _not_negative("settle", self.settle.total_seconds())


@dataclass(frozen=True, slots=True)
class CrewConfig:
    """``crew_zone`` / ``crew_zone_entry``: crews outside their zone or hours, vehicles inside."""

    outside_excess_m: float = 200.0
    outside_after_fixes: int = 3
    back_inside_m: float = 20.0
    window_grace: timedelta = timedelta(minutes=15)
    entry_inside_m: float = 25.0
    entry_clear_m: float = 50.0
    forget_after: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        _not_negative("outside_excess_m", self.outside_excess_m)
        if self.outside_after_fixes < 1:
            raise ValidationError("outside_after_fixes", "must be at least one fix")
        _not_negative("back_inside_m", self.back_inside_m)
        _not_negative("window_grace", self.window_grace.total_seconds())
        _not_negative("entry_inside_m", self.entry_inside_m)
        _not_negative("entry_clear_m", self.entry_clear_m)
        _duration("forget_after", self.forget_after)

    def hysteresis(self) -> Hysteresis:
        return Hysteresis(self.outside_excess_m, self.outside_after_fixes, self.back_inside_m)


@dataclass(frozen=True, slots=True)
class ConvoyConfig:
    """``convoy``: members too far apart at a post, or out of order."""

    max_gap: timedelta = timedelta(minutes=10)
    early: timedelta = timedelta(minutes=30)
    expire_after: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        _duration("max_gap", self.max_gap)
        _not_negative("early", self.early.total_seconds())
        _duration("expire_after", self.expire_after)


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    """All rules' settings. ``active_posts``: the checkpoints expected to record passages and
    to sync (``None``: every checkpoint of the corridor)."""

    band: LeftBandConfig = field(default_factory=LeftBandConfig)
    transit: TransitConfig = field(default_factory=TransitConfig)
    stops: StopConfig = field(default_factory=StopConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    silence: SilenceConfig = field(default_factory=SilenceConfig)
    disruption: DisruptionConfig = field(default_factory=DisruptionConfig)
    crews: CrewConfig = field(default_factory=CrewConfig)
    convoys: ConvoyConfig = field(default_factory=ConvoyConfig)
    active_posts: frozenset[str] | None = None


#: Every rule's config class, for the test that checks docs/monitoring.md documents them all.
RULE_CONFIGS = (
    LeftBandConfig,
    TransitConfig,
    StopConfig,
    RegistryConfig,
    SilenceConfig,
    DisruptionConfig,
    CrewConfig,
    ConvoyConfig,
)


def setting_names() -> list[str]:
    """``Class.field`` for every setting of every rule (and ``MonitorConfig.active_posts``)."""
    names = [f"{cls.__name__}.{f.name}" for cls in RULE_CONFIGS for f in fields(cls)]
    return [*names, "MonitorConfig.active_posts"]
