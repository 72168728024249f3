"""The command line, thin: parse, call the core, print. Every CorridorError is caught once, in
:func:`main`, and shown as a one-line (or one-block) message with exit status 1."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from corridor.errors import CorridorError, ScenarioError

app = typer.Typer(
    help="corridor: run a humanitarian transit corridor and prove what passed through it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="Check scenario files.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")

#: Human-facing output goes to stderr, so that `--json` leaves stdout to the JSON alone.
err = Console(stderr=True)

DirOption = Annotated[Path, typer.Option("--dir", help="Data directory.")]


@contextmanager
def _progress(label: str, unit: str, *, transient: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr; yields ``advance(done, total)``."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=err,
        transient=transient,
    ) as progress:
        task = progress.add_task(unit, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _runnable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with its audit command spelled as this program was run (`make demo` runs
    .venv/bin/corridor, which is not on the PATH)."""
    program = "corridor" if shutil.which("corridor") else sys.argv[0]
    command = str(summary["audit_command"]).replace("corridor", program, 1)
    return {**summary, "audit_command": command}


def _print_json(value: object) -> None:
    """One JSON object on stdout and nothing else (`--json`)."""
    sys.stdout.write(json.dumps(value, sort_keys=True) + "\n")
    sys.stdout.flush()


def _default_scenario() -> Path:
    from corridor.sim.scenario import default_scenario_path

    return default_scenario_path()


@app.command()
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
    from corridor.demo import run_demo
    from corridor.reports.text import render_summary

    if posts:
        _demo_posts(directory, days, seed, scenario or _default_scenario(), as_json)
        if serve:
            _serve(directory, host, port)
        return
    with _progress("simulating (SIMULATED data)", "days", transient=as_json) as advance:
        result = run_demo(
            directory, scenario or _default_scenario(), days=days, seed=seed, on_day=advance
        )
    if as_json:
        _print_json(result.summary)
    else:
        Console(soft_wrap=True).print(render_summary(_runnable(result.summary)))
    if serve:
        _serve(directory, host, port)


def _demo_posts(directory: Path, days: int, seed: int, scenario: Path, as_json: bool) -> None:
    from corridor.demo_posts import render_posts, run_demo_posts
    from corridor.reports.text import render_summary

    label = "simulating (SIMULATED data), HQ and posts as processes"
    with _progress(label, "days", transient=as_json) as advance:
        result = run_demo_posts(directory, scenario, days=days, seed=seed, on_day=advance)
    if as_json:
        _print_json(result)
    else:
        Console(soft_wrap=True).print(render_summary(_runnable(result)))
        Console(soft_wrap=True).print(render_posts(result))


class Role(StrEnum):
    HQ = "hq"
    POST = "post"


@app.command()
def serve(
    directory: DirOption = Path("corridor-data"),
    role: Annotated[Role, typer.Option(help="hq: dashboard, log and sync; post: console.")] = (
        Role.HQ
    ),
    post: Annotated[
        str | None, typer.Option(help="With --role post: the post this node is, e.g. P07.")
    ] = None,
    hq: Annotated[str | None, typer.Option(help="With --role post: HQ's base URL.")] = None,
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
) -> None:
    """Serve a data directory: HQ's dashboard, API, log and sync endpoints (store:
    CORRIDOR_DATABASE_URL or the directory's SQLite), or a post's operator console."""
    if role is Role.POST:
        from corridor.cli_post import serve_post

        serve_post(directory, host, port, post, hq)
    else:
        _serve(directory, host, port)


def _serve(directory: Path, host: str, port: int) -> None:
    import uvicorn

    from corridor.web.app import create_app_for_dir

    application = create_app_for_dir(directory)
    err.print(f"serving http://{host}:{port}/  (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@scenario_app.command("validate")
def scenario_validate(file: Annotated[Path, typer.Argument(help="Scenario file (YAML).")]) -> None:
    """Check a scenario file and report every problem with its location."""
    from corridor.sim.scenario import check_scenario

    problems = check_scenario(file)
    if problems:
        raise ScenarioError(str(file), problems)
    err.print(f"{file}: ok")


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


@app.command("audit")
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

    previous_text = _read_text(previous) if previous is not None else None
    log = open_source(source)
    with _progress("auditing", "entries", transient=True) as advance:
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


@app.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="The receipt: a C2SP tlog-proof.")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key (C2SP vkey).")],
    entry: Annotated[Path, typer.Option("--entry", help="The raw log entry the receipt is for.")],
) -> None:
    """Check a passage receipt offline: the entry is in the log the key signs, at its index."""
    from corridor.audit import verify_receipt

    result = verify_receipt(_read_bytes(file), _read_bytes(entry), vkey)
    typer.echo(
        f"ok: {result.entry_type} entry {result.index} is in {result.origin} "
        f"(checkpoint size {result.size:,}) and its signature verifies"
    )


def _read_bytes(path: Path) -> bytes:
    from corridor.errors import ConfigError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_text(path: Path) -> str:
    from corridor.errors import ConfigError

    try:
        return _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text") from exc


def _register_command_groups() -> None:
    from corridor import cli_hq, cli_post

    cli_hq.register(app)
    cli_post.register(app)


_register_command_groups()
