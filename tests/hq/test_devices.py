"""The tracker registry: a device follows a registered vehicle or a crew, is registered once,
and once revoked stays revoked; and `corridor devices` / `corridor positions purge`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from corridor.cli import devices as devices_cli
from corridor.cli import positions as positions_cli
from corridor.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from corridor.hq.devices import Device, list_devices, register_device, revoke_device
from corridor.hq.osmand import PositionReport
from corridor.hq.positions import PositionIntake
from corridor.hq.provision import init_hq
from corridor.hq.vehicles import RegisteredVehicle, register_vehicles
from corridor.model.vocabulary import VehicleClass
from corridor.monitor.alerts import SubjectKind
from corridor.sim.scenario import default_scenario_path
from corridor.store.engine import Store
from tests.hq import positions_support as support
from tests.hq.positions_support import CREW, CREW_DEVICE, NOW, PLATE, VEHICLE_DEVICE

store = support.store  # the shared fixture, bound here for pytest to find


def test_registered_devices_are_listed(store: Store) -> None:
    assert list_devices(store) == [
        Device(VEHICLE_DEVICE, SubjectKind.VEHICLE, "34AA123", "2026-06-01T12:00:00Z"),
        Device(CREW_DEVICE, SubjectKind.CREW, CREW, "2026-06-01T12:00:00Z"),
    ]


def test_a_plate_is_found_however_it_is_spaced(store: Store) -> None:
    device = register_device(store, "300003", NOW, vehicle="34-aa 123")
    assert (device.subject_kind, device.subject_id) == (SubjectKind.VEHICLE, "34AA123")


@pytest.mark.parametrize(
    ("device_id", "subject", "error", "reason"),
    [
        ("X1", {"vehicle": "99 ZZ 999"}, NotFoundError, "no registered vehicle has that plate"),
        ("X1", {"crew": "C9"}, NotFoundError, "no crew 'C9' in the crew registry"),
        ("X1", {}, ValidationError, "name exactly one of a vehicle"),
        ("X1", {"vehicle": PLATE, "crew": CREW}, ValidationError, "name exactly one"),
        ("bad id", {"crew": CREW}, ValidationError, "id: a device id is 1 to 64"),
        (VEHICLE_DEVICE, {"crew": CREW}, ConflictError, "already registered \\(in use\\)"),
    ],
)
def test_a_bad_registration_is_refused_and_stores_nothing(
    store: Store,
    device_id: str,
    subject: dict[str, str],
    error: type[Exception],
    reason: str,
) -> None:
    before = list_devices(store)
    with pytest.raises(error, match=reason):
        register_device(store, device_id, NOW, **subject)
    assert list_devices(store) == before


def test_a_revoked_device_stays_revoked(store: Store) -> None:
    revoked = revoke_device(store, VEHICLE_DEVICE, NOW + timedelta(hours=1))
    assert revoked.revoked_at == "2026-06-01T13:00:00Z"
    with pytest.raises(ConflictError, match="already revoked at 2026-06-01T13:00:00Z"):
        revoke_device(store, VEHICLE_DEVICE, NOW)
    with pytest.raises(ConflictError, match="revoked at 2026-06-01T13:00:00Z"):
        register_device(store, VEHICLE_DEVICE, NOW, vehicle=PLATE)
    with pytest.raises(NotFoundError, match="no device 'nobody' is registered"):
        revoke_device(store, "nobody", NOW)


@pytest.fixture
def hq_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "hq"
    _, opened, _ = init_hq(directory, default_scenario_path())
    register_vehicles(opened, [RegisteredVehicle(PLATE, VehicleClass.TRUCK)])
    opened.dispose()
    return directory


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    devices_cli.register(app)
    positions_cli.register(app)
    return app


def test_the_devices_commands(cli: typer.Typer, hq_dir: Path) -> None:
    run = CliRunner().invoke
    added = run(cli, ["devices", "add", "--device", "T1", "--vehicle", PLATE, "--dir", str(hq_dir)])
    assert added.exit_code == 0, added.output
    assert "device T1 follows vehicle 34AA123" in added.stdout
    refused = run(cli, ["devices", "add", "--device", "T2", "--crew", "C9", "--dir", str(hq_dir)])
    assert isinstance(refused.exception, NotFoundError)
    revoked = run(cli, ["devices", "revoke", "--device", "T1", "--dir", str(hq_dir)])
    assert revoked.exit_code == 0 and "device T1 revoked at" in revoked.stdout
    listed = run(cli, ["devices", "list", "--json", "--dir", str(hq_dir)])
    [device] = json.loads(listed.stdout)["devices"]
    assert (device["device_id"], device["subject_id"]) == ("T1", "34AA123")
    assert device["revoked_at"] is not None


def test_positions_purge(cli: typer.Typer, hq_dir: Path) -> None:
    from datetime import UTC, datetime

    from corridor.datadir import DataDir

    now = datetime.now(UTC)  # the command purges against the real clock
    opened = DataDir(hq_dir).open_store()
    intake = PositionIntake(opened, b"k" * 32, retention=timedelta(days=400))
    intake.keep(
        [
            PositionReport("T9", 39.6, 46.5, int((now - timedelta(days=d)).timestamp() * 1000))
            for d in (1, 300)
        ]
    )
    opened.dispose()
    answer = CliRunner().invoke(
        cli, ["positions", "purge", "--older-than", "100", "--dir", str(hq_dir)]
    )
    assert answer.exit_code == 0, answer.output
    assert "purged 1 positions older than 100 days" in answer.stdout
    missing = CliRunner().invoke(
        cli, ["positions", "purge", "--older-than", "1", "--dir", str(hq_dir / "nowhere")]
    )
    assert isinstance(missing.exception, ConfigError)
    assert "is not an HQ data directory" in str(missing.exception)
