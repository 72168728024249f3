"""`corridor audit` and `corridor verify-receipt`: the independent checks anyone can run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from corridor.cli.common import progress, read_bytes, read_text


def audit_log(
    source: Annotated[str, typer.Argument(help="http(s) URL of a /log/, or a log directory.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key (C2SP vkey).")],
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="A checkpoint seen earlier: the log must extend it."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the JSON report on stdout.")
    ] = False,
) -> None:
    """Check a published log with nothing but its key: checkpoint, tiles, every entry's
    signature and key, every bulletin. Exit status 1 on any discrepancy."""
    from corridor.audit import audit, open_source, render_text

    previous_text = read_text(previous) if previous is not None else None
    log = open_source(source)
    with progress("auditing", "entries", transient=True) as advance:
        report = audit(log, vkey, previous_checkpoint=previous_text, progress=advance)
    if as_json:
        sys.stdout.write(report.to_json() + "\n")
        sys.stdout.flush()
    else:
        Console(highlight=False).print(escape(render_text(report)), end="")
    if not report.ok:
        from corridor.errors import VerificationError

        total = len(report.findings) + report.findings_omitted
        raise VerificationError(f"audit of {source} failed: {total:,} finding(s)")


def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="The receipt: a C2SP tlog-proof.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key (C2SP vkey).")],
    entry: Annotated[Path, typer.Option("--entry", help="The raw log entry the receipt is for.")],
) -> None:
    """Check a passage receipt offline: the entry is in the log the key signs, at its index."""
    from corridor.audit import verify_receipt

    result = verify_receipt(read_bytes(file), read_bytes(entry), vkey)
    typer.echo(
        f"ok: {result.entry_type} entry {result.index} is in {result.origin} "
        f"(checkpoint size {result.size:,}) and its signature verifies"
    )


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_log)
    app.command("verify-receipt")(verify_receipt_command)
