"""`corridor demo`: a fresh data directory, the scenario's keys registered, N simulated days
ingested through the one ingest path, and the summary of what the store now holds."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from corridor.bulletins import write_bulletin
from corridor.datadir import DataDir, log_origin
from corridor.ingest import Ingestor
from corridor.keyfile import write_key
from corridor.ledger.checkpoint import Checkpoint
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.note import Note
from corridor.provision import HqKeys, init_hq
from corridor.publish import LogPublisher
from corridor.registry import ROLE_POST, register_key
from corridor.reports.summary import summary
from corridor.sim.scenario import load_scenario
from corridor.sim.traffic import Simulation, derive_key
from corridor.vehicles import Permit, RegisteredVehicle, register_vehicles

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
    keys = HqKeys(
        admin=derive_key(seed, "admin"),
        hq=derive_key(seed, "hq"),
        log=Ed25519Signer(log_origin(corridor.id), derive_key(seed, "log").seed),
        pseudonym=simulation.pseudonym_key,
    )
    datadir, store, _ = init_hq(directory, scenario_file, keys=keys, scenario=scenario, demo=True)
    try:
        publisher = LogPublisher(store, keys.log, export_dir=datadir.log)
        fleet, permit_list = _registries(simulation, corridor.mandate_start, corridor.mandate_end)
        register_vehicles(store, fleet, permit_list)
        since = datetime.combine(corridor.mandate_start, time(0), UTC)
        for post_id, key in simulation.post_keys.items():
            write_key(datadir.keys / "posts" / f"{post_id}.key", key)
            register_key(store, corridor.id, keys.admin, post_id, ROLE_POST, key.public_key, since)
        for done, day in enumerate(simulation.days(days), start=1):
            ingestor = Ingestor(store, corridor, clock=_fixed_clock(day.end))
            for start in range(0, len(day.submissions), BATCH_SIZE):
                ingestor.ingest(day.submissions[start : start + BATCH_SIZE])
            write_bulletin(
                store, corridor.id, keys.hq, day.day, simulated=scenario.traffic.simulated
            )
            publisher.publish()
            if on_day is not None:
                on_day(done, days)
        size, checkpoint_text = publisher.publish()
        with store.read() as conn:
            figures = summary(conn)
    finally:
        store.dispose()
    checkpoint = Checkpoint.from_text(Note.from_text(checkpoint_text).text)
    figures["log_vkey"] = publisher.vkey
    figures["log_size"] = size
    figures["log_root"] = base64.b64encode(checkpoint.root_hash).decode("ascii")
    figures["audit_command"] = f"corridor audit {datadir.log} --vkey {publisher.vkey}"
    figures = {
        "simulated": scenario.traffic.simulated,
        "corridor": corridor.id,
        "corridor_name": corridor.label,
        "days": days,
        "seed": seed,
        "data_dir": str(directory),
        **figures,
    }
    return DemoResult(datadir, figures)
