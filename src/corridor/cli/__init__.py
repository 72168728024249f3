"""The command line (Typer): one module per command group, :mod:`corridor.cli.main` puts them
together and :mod:`corridor.cli.reference` renders docs/cli.md from their ``--help``."""

from corridor.cli.main import app, main

__all__ = ["app", "main"]
