"""`corridor keys new|register|revoke`: post keys, registered and revoked as log entries signed
by the admin key, which never leaves the HQ data directory's ``keys/``."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption, err
from corridor.config import load_settings
from corridor.datadir import DataDir
from corridor.errors import ConfigError, ValidationError
from corridor.model.events import parse_time

keys_app = typer.Typer(help="Make, register and revoke post keys.", no_args_is_help=True)


def _time(text: str | None, name: str) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) if text is None else parse_time(text, name)


def _public_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("--key", "expected the base64 public key `keys new` printed") from exc
    if len(key) != 32:
        raise ValidationError("--key", f"an Ed25519 public key is 32 bytes, got {len(key)}")
    return key


@keys_app.command("new")
def keys_new(
    post: Annotated[str, typer.Option(help="The post the key is for, e.g. P07.")],
    out: Annotated[Path | None, typer.Option(help="Key file (default: ./<post>.key).")] = None,
) -> None:
    """Make a post key (mode 0600) and print its public key for `corridor keys register`."""
    from corridor.keyfile import write_key
    from corridor.model.signing import SigningKey

    key = SigningKey.generate()
    path = out or Path(f"{post}.key")
    write_key(path, key)
    err.print(f"private key written to {path}; keep it on the post's machine only")
    typer.echo(base64.b64encode(key.public_key).decode())


@keys_app.command("register")
def keys_register(
    post: Annotated[str, typer.Option(help="The post the key belongs to.")],
    key: Annotated[str, typer.Option(help="The post's public key, base64.")],
    directory: HqDirOption = Path("corridor-hq"),
    valid_from: Annotated[
        str | None, typer.Option(help="When the key takes effect (default: now), UTC.")
    ] = None,
) -> None:
    """Register a post key: a key registration entry signed by the admin key, in the log."""
    from corridor.hq.provision import ADMIN_KEY_FILE
    from corridor.hq.registry import ROLE_POST, register_key
    from corridor.keyfile import read_key

    datadir = DataDir(directory)
    corridor = datadir.scenario().corridor
    corridor.post(post)
    store = datadir.open_store(load_settings().database_url)
    try:
        index = register_key(
            store,
            corridor.id,
            read_key(datadir.keys / ADMIN_KEY_FILE),
            post,
            ROLE_POST,
            _public_key(key),
            _time(valid_from, "--valid-from"),
        )
    finally:
        store.dispose()
    typer.echo(f"registered the key of {post} at log index {index}")


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Option(help="The public key to revoke, base64.")],
    directory: HqDirOption = Path("corridor-hq"),
    at: Annotated[str | None, typer.Option(help="Revocation time (default: now), UTC.")] = None,
) -> None:
    """Revoke a key: events it signs from that time on are refused, by HQ and by audit."""
    from corridor.hq.provision import ADMIN_KEY_FILE
    from corridor.hq.registry import revoke_key
    from corridor.keyfile import read_key

    datadir = DataDir(directory)
    if not (datadir.keys / ADMIN_KEY_FILE).exists():
        raise ConfigError(f"{directory} has no admin key: run this on HQ's data directory")
    store = datadir.open_store(load_settings().database_url)
    try:
        index = revoke_key(
            store,
            datadir.scenario().corridor.id,
            read_key(datadir.keys / ADMIN_KEY_FILE),
            _public_key(key),
            _time(at, "--at"),
        )
    finally:
        store.dispose()
    typer.echo(f"revoked at log index {index}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
