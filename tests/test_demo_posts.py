"""`corridor demo --posts`: HQ and the post nodes as processes over flaky links give the same
figures as the in-process demo, and a log that audits clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from corridor.errors import ValidationError
from corridor.post.node import PostNode
from corridor.post.setup import init_post
from corridor.sim.scenario import default_scenario_path, load_scenario
from corridor.sim.traffic import Simulation
from tests.processes import run_corridor

FIGURES = (
    "events",
    "first_day",
    "last_day",
    "passages",
    "people",
    "returnees_cumulative",
    "returnees_by_day",
    "cargo_tonnes",
    "denials_by_reason",
)


def demo_json(work: Path, name: str, *extra: str) -> dict[str, Any]:
    done = run_corridor(
        "demo", "--days", "2", "--no-serve", "--json", "--dir", name, *extra, cwd=work
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)  # stdout carries only the JSON
    return summary


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    work = tmp_path_factory.mktemp("demo-posts")
    plain = demo_json(work, "plain")
    posts = demo_json(work, "posts", "--posts")
    return plain, posts, work / "posts"


@pytest.mark.slow
def test_the_figures_equal_those_of_the_in_process_demo(
    both: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    plain, posts, _ = both
    assert posts["events"] > 0
    for name in FIGURES:
        assert posts[name] == plain[name], name
    assert posts["log_order"] == "arrival"
    assert posts["log_vkey"] == plain["log_vkey"]  # same derived keys


@pytest.mark.slow
def test_every_event_went_through_a_post_node_over_a_flaky_link(
    both: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    _, posts, datadir = both
    nodes = posts["posts"]
    assert set(nodes) == {"P01", "P23"}  # the two entry checkpoints
    assert sum(n["events_pushed"] for n in nodes.values()) == posts["events"]
    assert all(n["pending"] == 0 for n in nodes.values())
    assert sum(n["cuts"] for n in nodes.values()) >= 1
    assert sum(n["down_periods"] for n in nodes.values()) >= 1
    for post in nodes:
        assert (datadir / "posts" / post / "keys" / "post.key").exists()


@pytest.mark.slow
def test_the_log_of_the_posts_run_audits_clean(
    both: tuple[dict[str, Any], dict[str, Any], Path],
) -> None:
    _, posts, datadir = both
    done = run_corridor(
        "audit", str(datadir / "log"), "--vkey", posts["log_vkey"], "--json", cwd=datadir
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True


def test_signed_events_are_queued_in_order_and_only_for_their_post(tmp_path: Path) -> None:
    scenario_file = default_scenario_path()
    simulation = Simulation(load_scenario(scenario_file), seed=1)
    day = next(simulation.days(1))
    init_post(
        tmp_path / "p01",
        "P01",
        "http://127.0.0.1:9",
        scenario_file,
        key=simulation.post_keys["P01"],
    )
    node = PostNode.open(tmp_path / "p01")
    try:
        assert node.key.public_key == simulation.post_keys["P01"].public_key
        mine = [s for s in day.submissions if b'"post":"P01"' in s.raw][:5]
        other = next(s for s in day.submissions if b'"post":"P01"' not in s.raw)
        rows = node.enqueue_signed([(s.raw, s.private, s.salt) for s in mine])
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert [r.entry for r in rows] == [s.raw for s in mine]
        assert all(r.operator == "simulator" and r.log_index is None for r in rows)
        with pytest.raises(ValidationError, match=r"events\[0\]\.post: .* cannot be queued"):
            node.enqueue_signed([(other.raw, other.private, other.salt)])
        assert node.counts().pending == 5
    finally:
        node.close()
