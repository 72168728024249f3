"""`corridor demo`: simulate the scenario into a fresh data directory, summarise, serve."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from corridor.cli.common import DirOption, default_scenario, print_json, progress
from corridor.cli.serve import serve_hq


def _runnable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with its audit command spelled as this program was run (`make demo` runs
    .venv/bin/corridor, which is not on the PATH)."""
    program = "corridor" if shutil.which("corridor") else sys.argv[0]
    command = str(summary["audit_command"]).replace("corridor", program, 1)
    return {**summary, "audit_command": command}


def demo(
    directory: DirOption = Path("corridor-data"),
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days to simulate.")] = 14,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario file (default: the built-in Lachin scenario).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    posts: Annotated[
        bool,
        typer.Option(
            "--posts",
            help="Run HQ and the post nodes as separate processes on loopback, through "
            "links with simulated cuts (same figures; the log is in arrival order).",
        ),
    ] = False,
) -> None:
    """Simulate the scenario into a fresh data directory, print a summary, then serve it."""
    from corridor.demo.embedded import run_demo
    from corridor.reports.text import render_summary

    if posts:
        _demo_posts(directory, days, seed, scenario or default_scenario(), as_json)
        if serve:
            serve_hq(directory, host, port)
        return
    with progress("simulating (SIMULATED data)", "days", transient=as_json) as advance:
        result = run_demo(
            directory, scenario or default_scenario(), days=days, seed=seed, on_day=advance
        )
    if as_json:
        print_json(result.summary)
    else:
        Console(soft_wrap=True).print(render_summary(_runnable(result.summary)))
    if serve:
        serve_hq(directory, host, port)


def _demo_posts(directory: Path, days: int, seed: int, scenario: Path, as_json: bool) -> None:
    from corridor.demo.processes import render_posts, run_demo_posts
    from corridor.reports.text import render_summary

    label = "simulating (SIMULATED data), HQ and posts as processes"
    with progress(label, "days", transient=as_json) as advance:
        result = run_demo_posts(directory, scenario, days=days, seed=seed, on_day=advance)
    if as_json:
        print_json(result)
    else:
        Console(soft_wrap=True).print(render_summary(_runnable(result)))
        Console(soft_wrap=True).print(render_posts(result))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
