"""``corridor hq users add``: the people who log in to HQ's coordinator workspace.

HQ's users are rows of ``operators`` with no post and a role (docs/coordinator.md says what each
may do); passwords are Argon2id hashes (corridor.post.auth).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.common import HqDirOption, err
from corridor.errors import ConfigError

#: Where ``users add`` reads the password from when it is set (scripts, tests).
PASSWORD_ENV = "CORRIDOR_PASSWORD"

users_app = typer.Typer(help="Users of HQ's coordinator workspace.", no_args_is_help=True)


class Role(StrEnum):
    """The roles of corridor.post.auth.HQ_ROLES, lowest first."""

    VIEWER = "viewer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Option("--username", help="Login name (no spaces).")],
    role: Annotated[Role, typer.Option("--role", help="What the user may do.")],
    directory: HqDirOption = Path("corridor-hq"),
) -> None:
    """Add an HQ user; the password comes from CORRIDOR_PASSWORD or is asked twice."""
    from corridor.config import load_settings
    from corridor.datadir import DataDir
    from corridor.post.auth import add_operator

    if not directory.is_dir():
        raise ConfigError(f"{directory} is not an HQ data directory (no such directory)")
    store = DataDir(directory).open_store(load_settings().database_url)
    try:
        add_operator(store, username, None, _password(), role.value)
    finally:
        store.dispose()
    err.print(f"HQ user {username} added as {role.value}")
