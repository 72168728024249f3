"""`corridor data export`: the open data files (what ``/data/`` serves) written to a folder.

The files are built from the data directory's store exactly as the web app builds them: the
published passages, the daily flow, the corridor's map and the Data Package (docs/open-data.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import DirOption, print_json
from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import ConfigError

data_app = typer.Typer(help="Open data: the files /data/ serves.", no_args_is_help=True)


@data_app.command("export")
def data_export(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder to write the files into (made if it is missing).")
    ],
    directory: DirOption = Path("corridor-data"),
    json_output: Annotated[
        bool, typer.Option("--json", help="Print only the rows of each file, as JSON.")
    ] = False,
) -> None:
    """Write passages.csv, passages.parquet, daily.csv, daily.parquet, corridor.geojson and
    datapackage.json, for the log as published now."""
    from corridor.reports.opendata_package import export_all

    datadir = DataDir(directory)
    scenario = datadir.scenario()
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} exists and is not a directory; choose another folder")
    store = datadir.open_store(load_settings().database_url)
    try:
        with store.read() as conn:
            rows = export_all(
                conn, scenario.corridor, simulated=scenario.traffic.simulated, out_dir=out_dir
            )
    except OSError as exc:
        raise ConfigError(f"cannot write to {out_dir}: {exc.strerror or exc}") from exc
    finally:
        store.dispose()
    if json_output:
        print_json({"out_dir": str(out_dir), "rows": rows})
        return
    units = {"corridor.geojson": "features", "datapackage.json": "resources"}
    for name, count in rows.items():
        typer.echo(f"{out_dir / name}\t{count} {units.get(name, 'rows')}")
    if scenario.traffic.simulated:
        typer.echo("SIMULATED DATA: the files say so in their titles and metadata")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
