"""`corridor demo`: a fresh data directory, the scenario's keys registered, N simulated days
ingested through the one ingest path and watched by HQ's monitor, and the summary of what the
store now holds, with the alerts found next to the incidents the scenario injected."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from corridor.datadir import DataDir, log_origin
from corridor.demo.monitoring import DemoMonitor, alerts_by_kind, register_tracking
from corridor.hq.bulletins import write_bulletin
from corridor.hq.ingest import Ingestor
from corridor.hq.provision import HqKeys, init_hq
from corridor.hq.publish import LogPublisher
from corridor.hq.registry import ROLE_POST, register_key
from corridor.hq.vehicles import Permit, RegisteredVehicle, register_vehicles
from corridor.keyfile import write_key
from corridor.ledger.checkpoint import Checkpoint
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.note import Note
from corridor.reports.summary import summary
from corridor.sim.ground_truth import expected_by_kind
from corridor.sim.scenario import Scenario, load_scenario
from corridor.sim.traffic import Simulation, derive_key
from corridor.store.engine import Store

#: Events per ingest batch: large enough to amortise a transaction, small enough to show progress.
BATCH_SIZE = 1000

Progress = Callable[[int, int], None]


def _fixed_clock(moment: datetime) -> Callable[[], datetime]:
    # The simulated day's end is "now" for its events, so none looks like it is in the future.
    return lambda: moment


def _registries(
    simulation: Simulation, start: date, end: date
) -> tuple[list[RegisteredVehicle], list[Permit]]:
    """The simulated fleet as the vehicle registry, with one permit per vehicle."""
    fleet = [
        RegisteredVehicle(v.plate, v.vehicle_class)
        for cars in simulation.fleet.values()
        for v in cars
        if v.registered
    ]
    valid_from, valid_to = f"{start.isoformat()}T00:00:00Z", f"{end.isoformat()}T00:00:00Z"
    permit_list = [
        Permit(f"SIM-PERMIT-{n:05d}", v.plate, valid_from, valid_to) for n, v in enumerate(fleet)
    ]
    return fleet, permit_list


@dataclass(frozen=True)
class DemoResult:
    datadir: DataDir
    summary: dict[str, Any]


def prepare_hq(
    directory: Path, scenario_file: Path, scenario: Scenario, simulation: Simulation, seed: int
) -> tuple[DataDir, Store, HqKeys]:
    """HQ's data directory for the demo, without events: keys derived from the seed, the
    registries, and every post's key registered (the store is open: dispose of it)."""
    corridor = scenario.corridor
    keys = HqKeys(
        admin=derive_key(seed, "admin"),
        hq=derive_key(seed, "hq"),
        log=Ed25519Signer(log_origin(corridor.id), derive_key(seed, "log").seed),
        pseudonym=simulation.pseudonym_key,
    )
    datadir, store, _ = init_hq(directory, scenario_file, keys=keys, scenario=scenario, demo=True)
    try:
        fleet, permit_list = _registries(simulation, corridor.mandate_start, corridor.mandate_end)
        register_vehicles(store, fleet, permit_list)
        register_tracking(store, scenario, simulation)
        since = datetime.combine(corridor.mandate_start, time(0), UTC)
        for post_id, key in simulation.post_keys.items():
            write_key(datadir.keys / "posts" / f"{post_id}.key", key)
            register_key(store, corridor.id, keys.admin, post_id, ROLE_POST, key.public_key, since)
    except BaseException:
        store.dispose()
        raise
    return datadir, store, keys


def describe(
    scenario: Scenario,
    datadir: DataDir,
    *,
    days: int,
    seed: int,
    figures: dict[str, Any],
    alerts: dict[str, int],
    checkpoint_text: str,
    vkey: str,
) -> dict[str, Any]:
    """The demo's summary: the scenario, the figures, the alerts the monitor raised next to those
    the scenario's injected incidents call for, and how to check the figures against the log."""
    checkpoint = Checkpoint.from_text(Note.from_text(checkpoint_text).text)
    return {
        "simulated": scenario.traffic.simulated,
        "corridor": scenario.corridor.id,
        "corridor_name": scenario.corridor.label,
        "days": days,
        "seed": seed,
        "data_dir": str(datadir.path),
        **figures,
        "alerts_by_kind": alerts,
        "alerts_expected_by_kind": expected_by_kind(scenario, days),
        "log_vkey": vkey,
        "log_size": checkpoint.size,
        "log_root": base64.b64encode(checkpoint.root_hash).decode("ascii"),
        "audit_command": f"corridor audit {datadir.log} --vkey {vkey}",
    }


def run_demo(
    directory: Path,
    scenario_file: Path,
    *,
    days: int,
    seed: int,
    on_day: Progress | None = None,
) -> DemoResult:
    """Build the demo's data directory and return its summary. ``on_day(done, total)`` reports
    progress after each simulated day."""
    scenario = load_scenario(scenario_file)
    corridor = scenario.corridor
    simulation = Simulation(scenario, seed)
    datadir, store, keys = prepare_hq(directory, scenario_file, scenario, simulation, seed)
    try:
        publisher = LogPublisher(store, keys.log, export_dir=datadir.log)
        monitor = DemoMonitor(store, scenario, simulation)
        for done, day in enumerate(simulation.days(days), start=1):
            ingestor = Ingestor(store, corridor, clock=_fixed_clock(day.end))
            for start in range(0, len(day.submissions), BATCH_SIZE):
                ingestor.ingest(day.submissions[start : start + BATCH_SIZE])
            monitor.feed(day)
            write_bulletin(
                store, corridor.id, keys.hq, day.day, simulated=scenario.traffic.simulated
            )
            publisher.publish()
            if on_day is not None:
                on_day(done, days)
        _, checkpoint_text = publisher.publish()
        with store.read() as conn:
            figures = summary(conn)
        alerts = alerts_by_kind(store)
    finally:
        store.dispose()
    described = describe(
        scenario,
        datadir,
        days=days,
        seed=seed,
        figures=figures,
        alerts=alerts,
        checkpoint_text=checkpoint_text,
        vkey=publisher.vkey,
    )
    return DemoResult(datadir, described)
