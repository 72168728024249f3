"""`corridor devices add|revoke|list`: the trackers HQ takes positions from, and what each
follows (a registered vehicle, by plate, or a repair crew)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption, print_json
from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import ConfigError
from corridor.store.engine import Store

devices_app = typer.Typer(
    help="Register and revoke trackers (Traccar Client, OsmAnd).", no_args_is_help=True
)


def _open(directory: Path) -> Store:
    datadir = DataDir(directory)
    if not datadir.scenario_path.exists():
        raise ConfigError(f"{directory} is not an HQ data directory: run `corridor hq init`")
    return datadir.open_store(load_settings().database_url)


@devices_app.command("add")
def devices_add(
    device: Annotated[str, typer.Option(help="The tracker's device id (Traccar Client's id).")],
    vehicle: Annotated[
        str | None, typer.Option(help="Plate of the registered vehicle it rides in.")
    ] = None,
    crew: Annotated[str | None, typer.Option(help="Id of the repair crew it follows.")] = None,
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Register a tracker for a vehicle (--vehicle PLATE) or a crew (--crew CREW)."""
    from corridor.hq.devices import register_device

    store = _open(directory)
    try:
        added = register_device(store, device, datetime.now(UTC), vehicle=vehicle, crew=crew)
    finally:
        store.dispose()
    typer.echo(f"device {added.device_id} follows {added.subject_kind.value} {added.subject_id}")


@devices_app.command("revoke")
def devices_revoke(
    device: Annotated[str, typer.Option(help="The device id to revoke.")],
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Revoke a tracker (lost, stolen, handed back): its positions are refused from now on."""
    from corridor.hq.devices import revoke_device

    store = _open(directory)
    try:
        revoked = revoke_device(store, device, datetime.now(UTC))
    finally:
        store.dispose()
    typer.echo(f"device {revoked.device_id} revoked at {revoked.revoked_at}")


@devices_app.command("list")
def devices_list(
    directory: HqDirOption = Path("corridor-hq"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """List the registered trackers, revoked ones included (plates: HQ staff only)."""
    from corridor.hq.devices import list_devices

    store = _open(directory)
    try:
        found = list_devices(store)
    finally:
        store.dispose()
    if as_json:
        print_json(
            {
                "devices": [
                    {
                        "device_id": d.device_id,
                        "subject_kind": d.subject_kind.value,
                        "subject_id": d.subject_id,
                        "registered_at": d.registered_at,
                        "revoked_at": d.revoked_at,
                    }
                    for d in found
                ]
            }
        )
        return
    for d in found:
        state = f"revoked {d.revoked_at}" if d.revoked else "active"
        typer.echo(
            f"{d.device_id}\t{d.subject_kind.value} {d.subject_id}\t"
            f"since {d.registered_at}\t{state}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(devices_app, name="devices")
