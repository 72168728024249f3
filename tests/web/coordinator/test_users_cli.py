"""``corridor hq users add``, registered on a fresh Typer app as the real CLI registers it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from corridor.cli import hq as hq_cli
from corridor.cli.users import PASSWORD_ENV
from corridor.datadir import DataDir
from corridor.errors import ValidationError
from corridor.hq.provision import init_hq
from corridor.post.auth import HQ_ROLES, authenticate
from corridor.sim.scenario import default_scenario_path


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    hq_cli.register(application)
    return application


def test_users_add_from_the_environment_and_the_prompt(app: typer.Typer, tmp_path: Path) -> None:
    directory = tmp_path / "hq"
    _, store, _ = init_hq(directory, default_scenario_path())
    store.dispose()
    args = ["hq", "users", "add", "--dir", str(directory)]
    result = CliRunner().invoke(
        app,
        [*args, "--username", "nadia", "--role", "coordinator"],
        env={PASSWORD_ENV: "from the environment"},
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        app,
        [*args, "--username", "vera", "--role", "viewer"],
        input="typed at the prompt\ntyped at the prompt\n",
        env={PASSWORD_ENV: ""},
    )
    assert result.exit_code == 0, result.output
    assert "typed at the prompt" not in result.output
    refused = CliRunner().invoke(
        app, [*args, "--username", "x", "--role", "operator"], env={PASSWORD_ENV: "long enough"}
    )
    assert refused.exit_code != 0 and "operator" in refused.output
    short = CliRunner().invoke(
        app, [*args, "--username", "y", "--role", "admin"], env={PASSWORD_ENV: "short"}
    )
    assert isinstance(short.exception, ValidationError)
    assert "at least 10 characters" in str(short.exception)
    opened = DataDir(directory).open_store()
    try:
        who = authenticate(opened, None, "nadia", "from the environment", roles=HQ_ROLES)
        assert (who.post, who.role) == (None, "coordinator")
        assert authenticate(opened, None, "vera", "typed at the prompt").role == "viewer"
    finally:
        opened.dispose()
