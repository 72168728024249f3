"""What the command modules share: the console for human output, the directory options,
progress bars, JSON output and reading the files a command is given."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from corridor.errors import ConfigError

#: Human-facing output goes to stderr, so that `--json` leaves stdout to the JSON alone.
err = Console(stderr=True)

DirOption = Annotated[Path, typer.Option("--dir", help="Data directory.")]
HqDirOption = Annotated[Path, typer.Option("--dir", help="HQ data directory.")]
PostDirOption = Annotated[Path, typer.Option("--dir", help="Post data directory.")]


@contextmanager
def progress(label: str, unit: str, *, transient: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields ``advance(done, total)``."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    ) as bar:
        task = bar.add_task(unit, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_json(value: object) -> None:
    """One JSON object on stdout and nothing else (`--json`)."""
    sys.stdout.write(json.dumps(value, sort_keys=True) + "\n")
    sys.stdout.flush()


def default_scenario() -> Path:
    from corridor.sim.scenario import default_scenario_path

    return default_scenario_path()


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_text(path: Path) -> str:
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text") from exc
