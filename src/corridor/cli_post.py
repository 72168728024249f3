"""The post node's commands: ``corridor post init|sync|purge|trust-log-key`` and ``corridor
operators add``, and :func:`serve_post`, which ``corridor serve --role post`` calls. Thin, like
:mod:`corridor.cli`: parse, call :mod:`corridor.post`, print. Errors are ``CorridorError``s,
shown by ``cli.main``.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from corridor.errors import ConfigError

#: Where ``operators add`` reads the password from when it is set (scripts, tests).
PASSWORD_ENV = "CORRIDOR_PASSWORD"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

err = Console(stderr=True)

post_app = typer.Typer(
    help="Post nodes: set one up, sync it with HQ, purge its outbox, trust a new log key.",
    no_args_is_help=True,
)
operators_app = typer.Typer(help="Operators who log in to a post's console.", no_args_is_help=True)

DirOption = Annotated[Path, typer.Option("--dir", help="Post data directory.")]


def register(app: typer.Typer) -> None:
    """Add the ``post`` and ``operators`` command groups to ``app``."""
    app.add_typer(post_app, name="post")
    app.add_typer(operators_app, name="operators")


@post_app.command("init")
def post_init(
    directory: DirOption,
    post: Annotated[str, typer.Option("--post", help="This post's id in the scenario (P07).")],
    hq: Annotated[str, typer.Option("--hq", help="HQ's base URL (https://hq.example.org).")],
    scenario: Annotated[
        Path | None,
        typer.Option(help="Scenario file, the same as HQ's (default: the built-in one)."),
    ] = None,
) -> None:
    """Make a post data directory with a new post key; print the key to register at HQ."""
    from corridor.post.setup import init_post
    from corridor.sim.scenario import default_scenario_path

    setup = init_post(directory, post, hq, scenario or default_scenario_path())
    err.print(f"post {setup.post} set up in {directory}; its key is {directory}/keys/post.key")
    err.print("register this public key for the post at HQ, then add operators:")
    sys.stdout.write(setup.public_key_b64 + "\n")
    sys.stdout.flush()


@post_app.command("sync")
def post_sync(directory: DirOption) -> None:
    """Sync once with HQ now: pull the registry, push the outbox, fetch receipts."""
    from corridor.post.node import PostNode
    from corridor.post.sync_client import SyncClient

    node = PostNode.open(directory)
    client = SyncClient(node)
    try:
        client.sync_once()
        counts = node.counts()
    finally:
        client.close()
        node.close()
    err.print(f"pending {counts.pending}, synced {counts.synced}")


@post_app.command("purge")
def post_purge(
    directory: DirOption,
    older_than: Annotated[
        float,
        typer.Option(
            "--older-than",
            min=1.0,
            metavar="DAYS",
            help="Delete passages recorded more than this many days ago (at least 1).",
        ),
    ],
) -> None:
    """Delete old passages HQ logged from the outbox, once their receipt is stored.

    Never a passage without a log index or a receipt; sequence numbers are never reused."""
    from corridor.post.node import PostNode

    node = PostNode.open(directory)
    try:
        purge = node.purge_acknowledged(timedelta(days=older_than))
    finally:
        node.close()
    if purge.rows:
        err.print(
            f"purged {purge.rows} passage(s) recorded before {purge.cutoff} "
            f"(seq {purge.first_seq} to {purge.last_seq}): HQ logged each one and its receipt "
            "was stored"
        )
    else:
        err.print(f"nothing to purge: no logged passage with a receipt before {purge.cutoff}")
    if purge.kept:
        err.print(
            f"kept {purge.kept} older passage(s) that HQ has not logged yet or whose receipt "
            "is not fetched yet: they go once they have both"
        )


def _who() -> str:
    try:
        return f"administrator {getpass.getuser()}"
    except (OSError, KeyError):
        return "an administrator"


@post_app.command("trust-log-key")
def post_trust_log_key(
    directory: DirOption,
    key: Annotated[
        str,
        typer.Option(
            "--key",
            help="The new log key exactly as HQ's administrator gave it to you over a channel "
            "you trust (the vkey in HQ's log/vkey), or its SHA-256 (sha256sum log/vkey).",
        ),
    ],
) -> None:
    """Trust the new log key HQ's registry names, after checking it with HQ out of band.

    After a log_key_changed alert: forgets the checkpoints seen under the old key, acknowledges
    the alert and records who made the change (a log_key_reset alert)."""
    from corridor.post.checkpoints import describe_log_key, trust_log_key
    from corridor.post.node import PostNode

    node = PostNode.open(directory)
    try:
        reset = trust_log_key(node, key, by=_who())
    finally:
        node.close()
    old = describe_log_key(reset.old) if reset.old else "none"
    err.print(
        f"this post now trusts the log key {describe_log_key(reset.new)} instead of {old}; "
        f"{reset.forgotten} checkpoint(s) of the old key forgotten, "
        f"{reset.acknowledged} log_key_changed alert(s) acknowledged"
    )


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@operators_app.command("add")
def operators_add(
    directory: DirOption,
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    post: Annotated[
        str | None, typer.Option("--post", help="Post (default: the directory's own post).")
    ] = None,
    role: Annotated[str, typer.Option("--role", help="operator, coordinator or admin.")] = (
        "operator"
    ),
) -> None:
    """Add an operator; the password comes from CORRIDOR_PASSWORD or is asked twice."""
    from corridor.datadir import DataDir
    from corridor.post.auth import add_operator
    from corridor.post.node import META_POST
    from corridor.store import queries

    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a data directory (no such directory)")
    store = DataDir(directory).open_store()
    try:
        if post is None:
            with store.read() as conn:
                post = queries.get_meta(conn, META_POST)
        add_operator(store, username, post, _password(), role)
    finally:
        store.dispose()
    err.print(f"operator {username} added" + (f" for post {post}" if post else ""))


def serve_post(directory: Path, host: str, port: int, post: str | None, hq: str | None) -> None:
    """Serve the post's console and run the sync loop in a background thread until stopped
    (every ``CORRIDOR_SYNC_INTERVAL`` seconds when all is well, backing off after failures),
    and, with ``CORRIDOR_OUTBOX_RETENTION_DAYS``, the hourly purge in another."""
    import uvicorn

    from corridor.config import load_settings
    from corridor.post.node import PostNode
    from corridor.post.sync_client import SyncClient
    from corridor.web.console import create_post_app

    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a post data directory; run `corridor post init`")
    settings = load_settings()
    node = PostNode.open(directory, post=post, hq_url=hq)
    client = SyncClient(node, interval=settings.sync_interval)
    stop = threading.Event()
    syncing = threading.Thread(target=client.run, args=(stop,), name="post-sync", daemon=True)
    purging: threading.Thread | None = None
    if settings.outbox_retention_days is not None:
        retention = timedelta(days=settings.outbox_retention_days)
        purging = threading.Thread(
            target=node.keep_purging, args=(retention, stop), name="post-purge", daemon=True
        )
    # The sync loop logs counts and errors only, never personal data; httpx's own request
    # lines are left out (one a round would drown the rest).
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if host not in LOCAL_HOSTS:
        err.print(f"[yellow]warning:[/yellow] the console is meant for localhost, not {host}")
    err.print(
        f"post {node.post_id}: console on http://{host}:{port}/ , syncing with "
        f"{node.hq_url or '(no HQ URL)'}  (Ctrl-C to stop)"
    )
    syncing.start()
    if purging is not None:
        purging.start()
    try:
        uvicorn.run(create_post_app(node), host=host, port=port, log_level="warning")
    finally:
        stop.set()
        syncing.join(timeout=20)
        if purging is not None:
            purging.join(timeout=20)
        client.close()
        node.close()
