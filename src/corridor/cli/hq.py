"""HQ's administrative commands: `corridor hq init|publish`.

Thin, like the rest of the CLI: parse, call :mod:`corridor.hq.provision` and
:mod:`corridor.hq.publish`, print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption, err
from corridor.cli.users import users_app
from corridor.config import load_settings
from corridor.datadir import DataDir

hq_app = typer.Typer(help="Set up an HQ node.", no_args_is_help=True)
hq_app.add_typer(users_app, name="users")


@hq_app.command("init")
def hq_init(
    directory: HqDirOption = Path("corridor-hq"),
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario file (default: the built-in Lachin scenario).")
    ] = None,
) -> None:
    """Make an HQ data directory: fresh keys, the first log entries, the first checkpoint.
    The store is CORRIDOR_DATABASE_URL, or SQLite in the directory."""
    from corridor.hq.provision import init_hq
    from corridor.sim.scenario import default_scenario_path

    datadir, store, keys = init_hq(
        directory, scenario or default_scenario_path(), database_url=load_settings().database_url
    )
    store.dispose()
    err.print(f"HQ data directory ready: {datadir.path}")
    typer.echo(f"log key (give it to auditors): {keys.log.verifier().to_vkey()}")


@hq_app.command("publish")
def hq_publish(directory: HqDirOption = Path("corridor-hq")) -> None:
    """Publish a checkpoint now for everything sequenced (HQ also does this on its own every
    CORRIDOR_PUBLISH_INTERVAL seconds while it runs), and print it."""
    from corridor.hq.publish import LogPublisher
    from corridor.hq.services import LOG_KEY_FILE
    from corridor.keyfile import read_log_key

    datadir = DataDir(directory)
    datadir.scenario()
    store = datadir.open_store(load_settings().database_url)
    try:
        publisher = LogPublisher(
            store, read_log_key(datadir.keys / LOG_KEY_FILE), export_dir=datadir.log
        )
        _, checkpoint = publisher.repair()
    finally:
        store.dispose()
    typer.echo(checkpoint, nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(hq_app, name="hq")
