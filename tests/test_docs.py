"""Docs kept true mechanically: every setting and every HTTP endpoint is documented."""

from __future__ import annotations

import re
from pathlib import Path

from corridor.config import Settings
from tests.conftest import REPO

DOCS = (
    "\n".join(p.read_text() for p in (REPO / "docs").glob("*.md"))
    + (REPO / "README.md").read_text()
)


def test_every_setting_is_documented() -> None:
    configuration = (REPO / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"CORRIDOR_{name.upper()}" in configuration, name


def test_every_hq_endpoint_is_documented(tmp_path: Path) -> None:
    from corridor.demo.embedded import run_demo
    from corridor.sim.scenario import default_scenario_path
    from corridor.web.app import create_app_for_dir

    run_demo(tmp_path / "d", default_scenario_path(), days=1, seed=1)
    app = create_app_for_dir(tmp_path / "d")
    paths = set(app.openapi()["paths"])
    assert "/api/v1/sync/push" in paths
    mentioned = set(re.findall(r"/[\w/{}.:-]*", DOCS))
    for path in sorted(paths):
        # "/log/tile/{path}" is documented as "/log/tile/<L>/<N>...": compare up to the parameter.
        stem = path.split("{")[0]
        short = stem.removeprefix("/api/v1")
        assert any(
            m.startswith(stem) or (short and m.startswith(short) and "{" in path) or m == short
            for m in mentioned
        ), f"{path} is not documented in docs/"


def test_the_cli_reference_is_generated_from_help() -> None:
    from corridor.cli.reference import render

    current = (REPO / "docs" / "cli.md").read_text()
    assert current == render(), (
        "docs/cli.md is stale: python -m corridor.cli.reference > docs/cli.md"
    )
