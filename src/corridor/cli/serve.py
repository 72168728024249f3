"""`corridor serve`: run a node of either role, HQ (:func:`serve_hq`) or a post's console with
its sync loop (:func:`serve_post`)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import DirOption, err
from corridor.errors import ConfigError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class Role(StrEnum):
    HQ = "hq"
    POST = "post"


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
        serve_post(directory, host, port, post, hq)
    else:
        serve_hq(directory, host, port)


def serve_hq(directory: Path, host: str, port: int) -> None:
    """Serve HQ's web app (dashboard, API, log, sync) for a data directory until stopped, with
    the position intake on ``CORRIDOR_POSITIONS_PORT`` (a second server in a thread, its access
    log off: OsmAnd puts coordinates in the URL) and the hourly purge of expired positions."""
    import uvicorn

    from corridor.config import load_settings
    from corridor.hq.position_retention import keep_purging
    from corridor.hq.position_writer import PositionWriter
    from corridor.hq.positions import PositionIntake
    from corridor.web.app import create_app_for_dir
    from corridor.web.positions import create_positions_app

    settings = load_settings()
    application = create_app_for_dir(directory)
    hq = application.state.context.require_hq()
    intake = PositionIntake.from_settings(
        hq.store, hq.pseudonym_key, settings, on_positions=hq.positions_stored
    )
    intake_server = uvicorn.Server(
        uvicorn.Config(
            create_positions_app(PositionWriter(intake)),
            host=host,
            port=settings.positions_port,
            log_level="warning",
            access_log=False,
        )
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=intake_server.run, name="positions-intake", daemon=True),
        threading.Thread(
            target=keep_purging,
            args=(hq.store, intake.retention, stop),
            name="positions-purge",
            daemon=True,
        ),
    ]
    err.print(
        f"serving http://{host}:{port}/ , positions on http://{host}:{settings.positions_port}/"
        "  (Ctrl-C to stop)"
    )
    for thread in threads:
        thread.start()
    try:
        # Open event streams (the coordinators' live pages) must not hold a stop for minutes.
        uvicorn.run(
            application, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5
        )
    finally:
        intake_server.should_exit = True
        stop.set()
        for thread in threads:
            thread.join(timeout=20)


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


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
