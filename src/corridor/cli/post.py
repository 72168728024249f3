"""The post node's commands: ``corridor post init|sync|purge|trust-log-key``. Thin, like the
rest of the CLI: parse, call :mod:`corridor.post`, print. Errors are ``CorridorError``s, shown by
:func:`corridor.cli.main.main`.
"""

from __future__ import annotations

import getpass
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import PostDirOption, err

post_app = typer.Typer(
    help="Post nodes: set one up, sync it with HQ, purge its outbox, trust a new log key.",
    no_args_is_help=True,
)


@post_app.command("init")
def post_init(
    directory: PostDirOption,
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
def post_sync(directory: PostDirOption) -> None:
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
    directory: PostDirOption,
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
    directory: PostDirOption,
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


def register(app: typer.Typer) -> None:
    app.add_typer(post_app, name="post")
