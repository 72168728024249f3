"""`corridor serve --role hq` serves the intake on CORRIDOR_POSITIONS_PORT beside the web app,
and Ctrl-C stops both, with what was answered 200 in the store."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from corridor.datadir import DataDir
from corridor.hq.devices import register_device
from corridor.hq.provision import init_hq
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.sim.scenario import default_scenario_path
from tests.hq.positions_support import NOW, PLATE, stored_rows
from tests.processes import CorridorProcess, free_port


def test_hq_serves_the_intake_on_its_own_port(tmp_path: Path) -> None:
    directory = tmp_path / "hq"
    _, store, _ = init_hq(directory, default_scenario_path())
    register_vehicles(store, [RegisteredVehicle(PLATE, VehicleClass.TRUCK)])
    register_device(store, "555", NOW, vehicle=PLATE)
    store.dispose()
    web, intake = free_port(), free_port()
    hq = CorridorProcess(
        ["serve", "--role", "hq", "--dir", str(directory), "--port", str(web)],
        tmp_path / "hq.log",
        env={"CORRIDOR_POSITIONS_PORT": str(intake), "CORRIDOR_DATABASE_URL": ""},
    )
    try:
        hq.wait_http(f"http://127.0.0.1:{web}/log/checkpoint")
        hq.wait_http(f"http://127.0.0.1:{intake}/")
        now = int(time.time())
        answer = httpx.get(f"http://127.0.0.1:{intake}/?id=555&lat=39.6&lon=46.5&timestamp={now}")
        assert answer.status_code == 200, answer.text
        assert httpx.get(f"http://127.0.0.1:{intake}/?id=555&lat=99&lon=1").status_code == 400
    finally:
        hq.stop()
    assert hq.process.returncode not in (None, -9)  # stopped by Ctrl-C, not killed
    log = (tmp_path / "hq.log").read_text()
    assert "39.6" not in log and "Traceback" not in log, log  # no position in HQ's output
    reopened = DataDir(directory).open_store()
    try:
        assert [(r["device_id"], r["lat"]) for r in stored_rows(reopened)] == [("555", 39.6)]
    finally:
        reopened.dispose()
