"""``corridor operators add``: the operators who log in to a post's console."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from corridor.cli.common import PostDirOption, err
from corridor.errors import ConfigError

#: Where ``operators add`` reads the password from when it is set (scripts, tests).
PASSWORD_ENV = "CORRIDOR_PASSWORD"

operators_app = typer.Typer(help="Operators who log in to a post's console.", no_args_is_help=True)


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@operators_app.command("add")
def operators_add(
    directory: PostDirOption,
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


def register(app: typer.Typer) -> None:
    app.add_typer(operators_app, name="operators")
