"""`corridor convoys add|list|remove`: the convoy registry of an HQ data directory.

Members are given by plate (``--member`` once per vehicle, head of the column first) and must be
registered vehicles. Nothing here prints a plate: ``list`` shows how many members a convoy has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption
from corridor.config import load_settings
from corridor.datadir import DataDir

convoys_app = typer.Typer(help="Plan and list convoys (escorted buses).", no_args_is_help=True)


@convoys_app.command("add")
def convoys_add(
    convoy_id: Annotated[str, typer.Option("--id", help="Convoy id, e.g. C-20201201-01.")],
    name: Annotated[str, typer.Option(help="A name coordinators recognise.")],
    direction: Annotated[str, typer.Option(help="inbound or outbound.")],
    departure: Annotated[str, typer.Option(help="Planned departure, UTC: 2020-12-01T08:00:00Z.")],
    member: Annotated[
        list[str], typer.Option(help="A member's plate; once per vehicle, head first.")
    ],
    route_version: Annotated[
        int | None, typer.Option(help="Route version (default: the one in force at departure).")
    ] = None,
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Register a convoy: at least two registered vehicles, in their order in the column."""
    from corridor.hq.convoys import add_convoy

    datadir = DataDir(directory)
    corridor = datadir.scenario().corridor
    store = datadir.open_store(load_settings().database_url)
    try:
        convoy = add_convoy(
            store,
            corridor,
            convoy_id=convoy_id,
            name=name,
            direction=direction,
            planned_departure=departure,
            plates=member,
            route_version=route_version,
        )
    finally:
        store.dispose()
    typer.echo(
        f"convoy {convoy.convoy_id} registered: {len(convoy.plates)} vehicles, "
        f"{convoy.direction.value}, leaving {convoy.planned_departure}"
    )


@convoys_app.command("list")
def convoys_list(directory: HqDirOption = Path("corridor-hq")) -> None:
    """List the convoys by planned departure (member counts, no plates)."""
    from corridor.hq.convoys import list_convoys

    datadir = DataDir(directory)
    datadir.scenario()  # refuse a directory that is not a corridor node's
    store = datadir.open_store(load_settings().database_url)
    try:
        found = list_convoys(store)
    finally:
        store.dispose()
    if not found:
        typer.echo("no convoys")
    for c in found:
        route = "route in force" if c.route_version is None else f"route v{c.route_version}"
        typer.echo(
            f"{c.convoy_id}\t{c.planned_departure}\t{c.direction.value}\t"
            f"{len(c.plates)} vehicles\t{route}\t{c.name}"
        )


@convoys_app.command("remove")
def convoys_remove(
    convoy_id: Annotated[str, typer.Option("--id", help="The convoy to remove.")],
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Remove a convoy and its member list (passages that named it keep their convoy id)."""
    from corridor.hq.convoys import remove_convoy

    datadir = DataDir(directory)
    datadir.scenario()
    store = datadir.open_store(load_settings().database_url)
    try:
        remove_convoy(store, convoy_id)
    finally:
        store.dispose()
    typer.echo(f"convoy {convoy_id} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(convoys_app, name="convoys")
