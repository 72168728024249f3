"""`corridor scenario validate`: check a scenario file before a node runs on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import err
from corridor.errors import ScenarioError

scenario_app = typer.Typer(help="Check scenario files.", no_args_is_help=True)


@scenario_app.command("validate")
def scenario_validate(file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")]) -> None:
    """Check a scenario file and report every problem with its location."""
    from corridor.sim.scenario import check_scenario

    problems = check_scenario(file)
    if problems:
        raise ScenarioError(str(file), problems)
    err.print(f"{file}: ok")


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")
