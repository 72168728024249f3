"""``corridor post init|purge|trust-log-key`` and ``corridor operators add`` (registered on a
Typer app)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from corridor.cli import operators as operators_cli
from corridor.cli import post as post_cli
from corridor.cli.operators import PASSWORD_ENV
from corridor.errors import ConfigError, VerificationError
from corridor.post.auth import authenticate
from corridor.post.checkpoints import describe_log_key
from corridor.post.node import PostNode
from corridor.post.sync_client import SyncClient
from corridor.store.schema import outbox
from tests.post.conftest import RealHq
from tests.post.test_post_node import TRUCK
from tests.post.test_post_sync import change_log_key


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    post_cli.register(application)
    operators_cli.register(application)
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


def test_post_purge_prints_what_it_purged_and_kept(
    app: typer.Typer, pulled: PostNode, post_dir: Path
) -> None:
    for _ in range(3):
        pulled.record_passage(TRUCK, "amira")  # recorded at NOW, long ago on the real clock
    with pulled.store.write() as conn:
        conn.execute(update(outbox).where(outbox.c.seq < 3).values(log_index=0, receipt="proof"))
    result = CliRunner().invoke(
        app, ["post", "purge", "--dir", str(post_dir), "--older-than", "30"]
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "purged 2 passage(s) recorded before" in output
    assert "(seq 1 to 2)" in output
    assert "kept 1 older passage(s) that HQ has not logged yet" in output
    assert [r.seq for r in pulled.unacknowledged(10)] == [3]
    assert pulled.record_passage(TRUCK, "amira").seq == 4

    result = CliRunner().invoke(
        app, ["post", "purge", "--dir", str(post_dir), "--older-than", "30"]
    )
    assert "nothing to purge" in result.output
    result = CliRunner().invoke(
        app, ["post", "purge", "--dir", str(post_dir), "--older-than", "0.5"]
    )
    assert result.exit_code == 2  # a usage error: keep passages at least one day


def test_post_trust_log_key_refuses_a_wrong_key_and_takes_the_right_one(
    app: typer.Typer, pulled: PostNode, post_dir: Path, sync: SyncClient, hq: RealHq
) -> None:
    first = hq.vkey
    new = change_log_key(hq)
    sync.pull_registry()
    command = ["post", "trust-log-key", "--dir", str(post_dir), "--key"]
    result = CliRunner().invoke(app, [*command, first])
    assert isinstance(result.exception, VerificationError)
    assert "is not the log key HQ's registry names" in str(result.exception)
    assert pulled.log_vkey() == first
    result = CliRunner().invoke(app, [*command, new])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    trusts = f"now trusts the log key {describe_log_key(new)} instead of {describe_log_key(first)}"
    assert trusts in output
    assert "1 log_key_changed alert(s) acknowledged" in output
    assert pulled.log_vkey() == new
    [audit] = pulled.open_alerts()
    assert audit["kind"] == "log_key_reset"
    assert "administrator" in str(audit["source"])
