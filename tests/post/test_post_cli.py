"""``corridor post init`` and ``corridor operators add`` (registered on a Typer app)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from corridor.cli_post import PASSWORD_ENV, register
from corridor.errors import ConfigError
from corridor.post.auth import authenticate
from corridor.post.node import PostNode


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def test_post_init_makes_a_directory_and_prints_the_key(app: typer.Typer, tmp_path: Path) -> None:
    directory = tmp_path / "p07"
    result = CliRunner().invoke(
        app, ["post", "init", "--dir", str(directory), "--post", "P07", "--hq", "https://hq.test/"]
    )
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()[-1]
    node = PostNode.open(directory)
    try:
        assert base64.b64decode(printed) == node.key.public_key
        assert (node.post_id, node.hq_url) == ("P07", "https://hq.test")
    finally:
        node.close()
    assert (directory / "scenario.yaml").exists()


def test_post_init_refuses_a_bad_hq_url(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["post", "init", "--dir", str(tmp_path / "x"), "--post", "P07", "--hq", "hq.test"]
    )
    assert isinstance(result.exception, ConfigError)
    assert "must look like https://" in str(result.exception)


def test_operators_add_from_the_environment_and_from_the_prompt(
    app: typer.Typer, post_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from the environment")
    result = CliRunner().invoke(
        app, ["operators", "add", "--dir", str(post_dir), "--username", "a"]
    )
    assert result.exit_code == 0, result.output
    monkeypatch.delenv(PASSWORD_ENV)
    result = CliRunner().invoke(
        app,
        ["operators", "add", "--dir", str(post_dir), "--username", "b"],
        input="typed at the prompt\ntyped at the prompt\n",
    )
    assert result.exit_code == 0, result.output
    assert "typed at the prompt" not in result.output  # hidden input
    node = PostNode.open(post_dir)
    try:
        assert authenticate(node.store, "P01", "a", "from the environment").post == "P01"
        assert authenticate(node.store, "P01", "b", "typed at the prompt").username == "b"
    finally:
        node.close()
