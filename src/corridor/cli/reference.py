"""The CLI reference (docs/cli.md), generated from the commands' own ``--help``.

``python -m corridor.cli.reference > docs/cli.md`` rewrites it; a test fails when it is out of
date, so the reference can never drift from the program.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from corridor.cli import app

HELP_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path below ``command`` (typer vendors click, so groups are duck-typed)."""
    paths = [prefix]
    if hasattr(command, "list_commands"):
        context = command.make_context(
            prefix[-1] if prefix else "corridor", [], resilient_parsing=True
        )
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is not None and not sub.hidden:
                paths.extend(_paths(sub, (*prefix, name)))
    return paths


def render() -> str:
    """docs/cli.md's text: each command's help, in command order."""
    runner = CliRunner()
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `python -m corridor.cli.reference > docs/cli.md`; do not edit.",
        "",
    ]
    for path in _paths(typer.main.get_command(app)):
        result = runner.invoke(app, [*path, "--help"], env=HELP_ENV, prog_name="corridor")
        title = " ".join(("corridor", *path))
        lines = [line.rstrip() for line in result.output.strip().splitlines()]
        parts += [f"## `{title}`", "", "```", *lines, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
