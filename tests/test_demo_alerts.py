"""`corridor demo` runs HQ's monitor over the simulated days: every incident the scenario injects
is found with the right kind, subject and time (recall), every alert raised is one of them
(precision), and nothing fires on the days without an incident."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from corridor.model.events import parse_time
from corridor.sim.ground_truth import ExpectedAlert, alert_subject, expected_alerts
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.sim.traffic import Simulation
from tests.processes import run_corridor

DAYS, SEED = 14, 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    work = tmp_path_factory.mktemp("demo-alerts")
    done = run_corridor(
        "demo", "--days", str(DAYS), "--seed", str(SEED), "--no-serve", "--json", "--dir", "data",
        cwd=work,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(work / "data" / "corridor.db") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM alerts WHERE alert_key IS NOT NULL")]
    return json.loads(done.stdout), rows


def _matches(expected: ExpectedAlert, row: dict[str, Any], key: bytes) -> bool:
    subject = row["subject"]
    if expected.subject_kind == "vehicle" and subject != alert_subject(expected, key):
        return False
    named = expected.subject if expected.subject_kind == "vehicle" else subject
    return expected.matches(row["kind"], named, parse_time(row["raised_at"], "raised_at"))


def test_every_injected_incident_is_found_and_every_alert_is_one(
    demo: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, rows = demo
    scenario = load_scenario(default_scenario_path())
    key = Simulation(scenario, SEED).pseudonym_key
    expected = expected_alerts(scenario, DAYS)
    assert {e.kind for e in expected} >= {
        "left_band", "overdue", "long_stop", "unknown_vehicle", "unknown_device",
        "silent_post", "disruption", "crew_zone", "crew_zone_entry", "convoy",
    }  # fmt: skip
    missing = [e for e in expected if not any(_matches(e, row, key) for row in rows)]
    assert missing == [], "recall below 100%"
    unexplained = [r for r in rows if not any(_matches(e, r, key) for e in expected)]
    assert unexplained == [], "precision below 100%"


def test_no_alert_on_a_day_without_an_incident(
    demo: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    _, rows = demo
    scenario = load_scenario(default_scenario_path())
    start = datetime.combine(scenario.traffic.start_date, datetime.min.time())
    incident_days = {i.day for i in scenario.incidents}
    quiet = set(range(DAYS)) - incident_days
    assert {0, 1, 11, 12, 13} <= quiet
    for row in rows:
        raised = parse_time(row["raised_at"], "raised_at").replace(tzinfo=None)
        assert (raised - start) // timedelta(days=1) not in quiet, row


def test_the_summary_counts_alerts_found_and_expected(
    demo: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    summary, rows = demo
    assert summary["alerts_by_kind"] == dict(Counter(r["kind"] for r in rows))
    scenario = load_scenario(default_scenario_path())
    expected = Counter(e.kind for e in expected_alerts(scenario, DAYS))
    assert summary["alerts_expected_by_kind"] == dict(sorted(expected.items()))
    # Each expected kind was found at least as often as expected (disruption: also per class).
    for kind, count in expected.items():
        assert summary["alerts_by_kind"].get(kind, 0) >= count, kind


def test_no_alert_names_a_plate(demo: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, rows = demo
    scenario = load_scenario(default_scenario_path())
    plates = {v.plate for cars in Simulation(scenario, SEED).fleet.values() for v in cars}
    for row in rows:
        text = json.dumps(row)
        assert not any(plate in text for plate in plates), row["kind"]
