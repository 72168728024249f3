"""The monitor as HQ runs it: fed simulated Lachin traffic, acknowledgement, layering, docs."""

from __future__ import annotations

import ast
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from corridor.errors import NotFoundError, ValidationError
from corridor.model.vocabulary import Direction
from corridor.monitor import (
    AlertChange,
    AlertKind,
    ChangeKind,
    DisruptionConfig,
    Monitor,
    MonitorConfig,
)
from corridor.monitor.config import setting_names
from corridor.sim.scenario import Scenario
from tests.monitor.factories import T0, passage, straight_corridor
from tests.monitor.traffic import Feed, Traffic, run

REPO = Path(__file__).resolve().parents[2]
MONITOR = REPO / "src" / "corridor" / "monitor"


def lachin_monitor(scenario: Scenario, feed: Feed, traffic: Traffic) -> Monitor:
    t = scenario.traffic
    config = MonitorConfig(
        active_posts=frozenset({t.inbound_entry_post, t.outbound_entry_post}),
        disruption=DisruptionConfig(
            entry_posts={
                Direction.INBOUND: t.inbound_entry_post,
                Direction.OUTBOUND: t.outbound_entry_post,
            }
        ),
    )
    return Monitor(
        scenario.corridor,
        config=config,
        geometry=traffic.geometry,
        vehicles=feed.fleet,
        devices=feed.devices,
    )


def simulate(
    scenario: Scenario, seed: int, days: int, incidents: bool
) -> tuple[Monitor, list[AlertChange]]:
    traffic = Traffic(scenario, seed, incidents=incidents)
    feed = traffic.days(days)
    monitor = lachin_monitor(scenario, feed, traffic)
    start = datetime.combine(scenario.traffic.start_date, datetime.min.time(), UTC)
    return monitor, run(monitor, feed, start + timedelta(days=days))


def test_ten_days_of_normal_simulated_traffic_fire_nothing(lachin: Scenario) -> None:
    monitor, changes = simulate(lachin, seed=11, days=10, incidents=False)
    assert changes == []
    assert monitor.open_alerts() == []


@pytest.fixture(scope="module")
def incident_run(lachin: Scenario) -> tuple[Monitor, list[AlertChange], dict[str, str]]:
    traffic = Traffic(lachin, 5, incidents=True)
    feed = traffic.days(12)
    monitor = lachin_monitor(lachin, feed, traffic)
    start = datetime.combine(lachin.traffic.start_date, datetime.min.time(), UTC)
    return monitor, run(monitor, feed, start + timedelta(days=12)), feed.incident_subjects


def test_each_injected_incident_raises_its_alert_and_nothing_else(
    lachin: Scenario, incident_run: tuple[Monitor, list[AlertChange], dict[str, str]]
) -> None:
    monitor, changes, subjects = incident_run
    opened = {
        (c.alert.kind.value, c.alert.subject) for c in changes if c.change is ChangeKind.OPENED
    }
    expected = set(subjects.items())
    assert expected <= opened
    extra = opened - expected
    # A vehicle that stops for long is also late at the exit; a blockade shows in several series.
    long_stopper = subjects.get("long_stop")
    assert all(
        kind == "disruption" or (kind == "overdue" and subject == long_stopper)
        for kind, subject in extra
    ), extra
    blockade = [i for i in lachin.incidents if i.kind == "disruption"]
    if blockade:
        flows = {s for k, s in opened if k == "disruption"}
        # Inbound carries twice the traffic: its total always shows the blockade; outbound
        # shows it in its total or in its largest class, whichever is judged low first.
        assert "inbound/all" in flows and any(f.startswith("outbound/") for f in flows)
        day = lachin.traffic.start_date + timedelta(days=blockade[0].day)
        assert all(
            c.alert.opened_at.date() == day
            for c in changes
            if c.alert.kind is AlertKind.DISRUPTION and c.change is ChangeKind.OPENED
        )
    # Every condition ended by the last day, and every alert opened once and closed once.
    assert monitor.open_alerts() == []
    count = Counter((c.alert.key, c.change) for c in changes if c.change is not ChangeKind.UPDATED)
    assert set(count.values()) == {1}


def test_incident_alerts_name_their_evidence_and_times(
    incident_run: tuple[Monitor, list[AlertChange], dict[str, str]],
) -> None:
    _, changes, subjects = incident_run
    by_kind = {
        c.alert.kind.value: c.alert
        for c in changes
        if c.change is ChangeKind.CLOSED and c.alert.subject == subjects.get(c.alert.kind.value)
    }
    if "overdue" in subjects:
        overdue = by_kind["overdue"]
        assert overdue.figures["reached"] == 1 and float(overdue.figures["late_by_min"]) > 0
        assert len(overdue.evidence) == 2  # the passage at the entry and the arrival
    if "left_band" in subjects:
        left = by_kind["left_band"]
        assert left.closed_at is not None and left.closed_at > left.opened_at
        assert all(e.startswith("fx-") for e in left.evidence)
    if "silent_post" in subjects:
        silent = by_kind["silent_post"]
        assert float(silent.figures["silent_min"]) >= 60


def test_acknowledging_through_the_monitor() -> None:
    monitor = Monitor(straight_corridor(), vehicles=frozenset({"veh-1"}), clock=lambda: T0)
    [opened] = monitor.on_passage(passage("P01", T0, vehicle="stranger"))
    key = opened.alert.key
    assert monitor.alert(key) == opened.alert
    change = monitor.acknowledge(key, "coordinator", T0 + timedelta(minutes=2))
    assert change.alert.acknowledged_by == "coordinator"
    assert monitor.open_alerts()[0].acknowledged_at == T0 + timedelta(minutes=2)
    with pytest.raises(NotFoundError, match="no open alert 'nope'"):
        monitor.acknowledge("nope", "coordinator", T0)


def test_tick_takes_its_time_from_the_injected_clock() -> None:
    now = [T0]
    monitor = Monitor(straight_corridor(), clock=lambda: now[0], start=T0)
    assert monitor.tick() == []
    now[0] = T0 + timedelta(hours=2)
    silent = monitor.tick()
    assert {c.alert.subject for c in silent} == {"P01", "P03", "P04"}  # every checkpoint
    assert all(c.alert.opened_at == T0 + timedelta(hours=1) for c in silent)
    with pytest.raises(ValidationError, match="now: time must carry a time zone"):
        monitor.tick(datetime(2021, 1, 10, 9, 0))


def test_active_posts_must_be_checkpoints_of_the_corridor() -> None:
    with pytest.raises(ValidationError, match="active_posts: unknown post 'P99'"):
        Monitor(straight_corridor(), config=MonitorConfig(active_posts=frozenset({"P99"})))
    with pytest.raises(ValidationError, match="active_posts: 'P02' is not a checkpoint"):
        Monitor(straight_corridor(), config=MonitorConfig(active_posts=frozenset({"P02"})))


ALLOWED = ("corridor.model", "corridor.geo", "corridor.errors", "corridor.monitor")


def test_monitor_imports_only_model_geo_errors_stdlib_numpy_and_shapely() -> None:
    for path in sorted(MONITOR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = (
                    name == "__future__"
                    or top in sys.stdlib_module_names
                    or top in ("numpy", "shapely")
                    or any(name == a or name.startswith(a + ".") for a in ALLOWED)
                )
                assert ok, f"{path.name} imports {name}"


def test_every_setting_and_kind_is_documented() -> None:
    text = (REPO / "docs" / "monitoring.md").read_text()
    missing = [name for name in setting_names() if f"`{name.split('.')[1]}`" not in text]
    assert missing == []
    assert [k.value for k in AlertKind if f"`{k.value}`" not in text] == []


def test_the_public_surface_is_exported() -> None:
    import corridor.monitor as monitor

    assert sorted(monitor.__all__) == monitor.__all__
    assert all(hasattr(monitor, name) for name in monitor.__all__)
