"""`corridor crews add|list|zone-add`: repair crews and their zones in an HQ data directory.

A zone is a GeoJSON file (a Polygon, or a Feature or FeatureCollection holding one, in WGS84
longitude, latitude: what QGIS or geojson.io save) with the window it is in force for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption, read_text
from corridor.config import load_settings
from corridor.datadir import DataDir

crews_app = typer.Typer(help="Register repair crews and their work zones.", no_args_is_help=True)


@crews_app.command("add")
def crews_add(
    crew_id: Annotated[str, typer.Option("--id", help="Crew id, e.g. R-04.")],
    name: Annotated[str, typer.Option(help="A name coordinators recognise.")],
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Register a repair crew."""
    from corridor.hq.crews import add_crew

    datadir = DataDir(directory)
    datadir.scenario()  # refuse a directory that is not a corridor node's
    store = datadir.open_store(load_settings().database_url)
    try:
        crew = add_crew(store, crew_id, name)
    finally:
        store.dispose()
    typer.echo(f"crew {crew.crew_id} registered")


@crews_app.command("list")
def crews_list(directory: HqDirOption = Path("corridor-hq")) -> None:
    """List the crews and, under each, its zones and their windows."""
    from corridor.hq.crews import list_crews, list_zones

    datadir = DataDir(directory)
    datadir.scenario()
    store = datadir.open_store(load_settings().database_url)
    try:
        crews = list_crews(store)
        zones = list_zones(store)
    finally:
        store.dispose()
    if not crews:
        typer.echo("no crews")
    for crew in crews:
        typer.echo(f"{crew.crew_id}\t{crew.name}")
        for zone in (z for z in zones if z.crew_id == crew.crew_id):
            typer.echo(
                f"  zone {zone.zone_id}\t{zone.active_from} to {zone.active_to}\t{zone.name}"
            )


@crews_app.command("zone-add")
def crews_zone_add(
    crew: Annotated[str, typer.Option(help="The crew's id.")],
    geojson: Annotated[Path, typer.Option(help="GeoJSON file holding one Polygon (lon, lat).")],
    active_from: Annotated[str, typer.Option("--from", help="Start, UTC: 2021-03-01T06:00:00Z.")],
    active_to: Annotated[str, typer.Option("--to", help="End (exclusive), UTC.")],
    name: Annotated[
        str | None, typer.Option(help="Zone name (default: the feature's name, or the file's).")
    ] = None,
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Add a work zone to a crew, for a time window; it must meet the corridor band."""
    from corridor.hq.crews import add_zone

    datadir = DataDir(directory)
    corridor = datadir.scenario().corridor
    document = read_text(geojson)
    store = datadir.open_store(load_settings().database_url)
    try:
        zone = add_zone(
            store,
            corridor,
            crew_id=crew,
            geojson=document,
            active_from=active_from,
            active_to=active_to,
            name=name,
            default_name=geojson.stem,
        )
    finally:
        store.dispose()
    typer.echo(f"zone {zone.zone_id} ({zone.name}) added to crew {crew}")


def register(app: typer.Typer) -> None:
    app.add_typer(crews_app, name="crews")
