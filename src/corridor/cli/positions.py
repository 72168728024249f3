"""`corridor positions purge`: delete trackers' positions older than a number of days (HQ also
does it every hour while it runs, with ``CORRIDOR_POSITION_RETENTION_DAYS``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption
from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import ConfigError

positions_app = typer.Typer(help="Trackers' positions kept at HQ.", no_args_is_help=True)


@positions_app.command("purge")
def positions_purge(
    older_than: Annotated[
        float, typer.Option(min=0, help="Delete positions fixed more than DAYS ago.")
    ],
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Delete positions older than --older-than DAYS; print how many."""
    from corridor.hq.position_retention import purge_positions

    datadir = DataDir(directory)
    if not datadir.scenario_path.exists():
        raise ConfigError(f"{directory} is not an HQ data directory: run `corridor hq init`")
    store = datadir.open_store(load_settings().database_url)
    try:
        purged = purge_positions(store, timedelta(days=older_than))
    finally:
        store.dispose()
    typer.echo(f"purged {purged} positions older than {older_than:g} days")


def register(app: typer.Typer) -> None:
    app.add_typer(positions_app, name="positions")
