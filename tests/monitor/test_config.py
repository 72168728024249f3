"""Rule settings are validated once, when built, and name the setting at fault."""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.errors import ValidationError
from corridor.model.vocabulary import VehicleClass
from corridor.monitor import (
    ConvoyConfig,
    CrewConfig,
    LeftBandConfig,
    MonitorConfig,
    RegistryConfig,
    StopConfig,
    TransitConfig,
)
from corridor.monitor.config import setting_names


def test_defaults_build() -> None:
    config = MonitorConfig()
    assert config.band.hysteresis().open_after_fixes == 3
    assert config.transit.speeds_kmh[VehicleClass.TRUCK] == 30.0
    assert "DisruptionConfig.max_p_value" in setting_names()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LeftBandConfig(open_after_fixes=0), "open_after_fixes: must be at least one fix"),
        (lambda: LeftBandConfig(close_inside_m=-1), "close_inside_m: must be zero or more"),
        (lambda: LeftBandConfig(forget_after=timedelta(0)), "forget_after: must be a positive"),
        (
            lambda: TransitConfig(speeds_kmh={VehicleClass.CAR: 40.0}),
            "speeds_kmh: no speed for vehicle class 'bus'",
        ),
        (
            lambda: TransitConfig(speeds_kmh={c: 0.0 for c in VehicleClass}),
            "speeds_kmh.car: must be more than zero",
        ),
        (lambda: StopConfig(stop_radius_m=0), "stop_radius_m: must be more than zero"),
        (lambda: RegistryConfig(close_after=timedelta(0)), "close_after: must be a positive"),
        (lambda: CrewConfig(outside_after_fixes=0), "outside_after_fixes: must be at least one"),
        (lambda: ConvoyConfig(max_gap=timedelta(minutes=-1)), "max_gap: must be a positive"),
    ],
)
def test_bad_settings_name_the_setting(build: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()  # type: ignore[operator]
