"""Settings from the environment: a value that cannot be used stops the program with a message
naming the variable, its value and what it must be."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from corridor.config import load_settings
from corridor.errors import ConfigError


def test_good_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_PUBLISH_INTERVAL", "2.5")
    monkeypatch.setenv("CORRIDOR_OUTBOX_RETENTION_DAYS", "30")
    settings = load_settings()
    assert (settings.publish_interval, settings.outbox_retention_days) == (2.5, 30)


def test_every_bad_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_PUBLISH_INTERVAL", "soon")
    monkeypatch.setenv("CORRIDOR_OUTBOX_RETENTION_DAYS", "0.5")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "CORRIDOR_PUBLISH_INTERVAL='soon'" in message and "valid number" in message
    assert "CORRIDOR_OUTBOX_RETENTION_DAYS='0.5'" in message and "greater than or equal to 1" in (
        message
    )


def test_the_command_line_reports_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corridor", "hq", "init", "--dir", str(tmp_path / "hq")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CORRIDOR_SYNC_INTERVAL": "-1"},
    )
    assert result.returncode == 1
    assert "CORRIDOR_SYNC_INTERVAL='-1'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "hq").exists()
