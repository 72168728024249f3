"""The command line, thin: parse, call the core, print. Every CorridorError is caught once, in
:func:`main`, and shown as a one-line (or one-block) message with exit status 1.

One module per command group registers its commands on :data:`app`, in the order ``--help``
lists them.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from corridor.cli import (
    audit,
    convoys,
    crews,
    data,
    demo,
    devices,
    hq,
    keys,
    operators,
    positions,
    post,
    scenario,
    serve,
)
from corridor.cli.common import err
from corridor.errors import CorridorError

app = typer.Typer(
    help="corridor: run a humanitarian transit corridor and prove what passed through it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (
    demo,
    serve,
    scenario,
    audit,
    data,
    hq,
    keys,
    devices,
    positions,
    convoys,
    crews,
    post,
    operators,
):
    group.register(app)


def main() -> None:
    """Entry point: run the app and turn corridor's errors into messages."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except CorridorError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
