"""`corridor demo` end to end, as a user runs it: every summary figure must equal the same figure
recomputed here, independently, from the public entries stored in the log."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from corridor.model.signing import EntryType, Envelope, SignedPassage
from tests.processes import run_corridor


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    work = tmp_path_factory.mktemp("demo")
    done = run_corridor("demo", "--days", "2", "--no-serve", "--json", "--dir", "data", cwd=work)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), work / "data"


def stored_passages(datadir: Path) -> list[SignedPassage]:
    with sqlite3.connect(datadir / "corridor.db") as db:
        rows = db.execute("SELECT type, entry FROM log_entries ORDER BY idx").fetchall()
    passages = []
    for entry_type, raw in rows:
        envelope = Envelope.from_bytes(raw)
        envelope.verify()
        if entry_type == EntryType.PASSAGE.value:
            passage = SignedPassage.from_bytes(raw)
            passage.verify()
            passages.append(passage)
    return passages


def test_stdout_is_one_json_object(demo: tuple[dict[str, Any], Path]) -> None:
    summary, _ = demo
    assert summary["simulated"] is True
    assert summary["days"] == 2 and summary["corridor"] == "lachin"


def test_every_figure_equals_the_stored_entries(demo: tuple[dict[str, Any], Path]) -> None:
    summary, datadir = demo
    entries = [p.entry for p in stored_passages(datadir)]
    assert summary["events"] == len(entries) > 0

    by_kind: Counter[tuple[str, str]] = Counter((e.kind.value, e.direction.value) for e in entries)
    for kind, directions in summary["passages"].items():
        for direction, count in directions.items():
            assert count == by_kind[(kind, direction)], (kind, direction)

    passed = [e for e in entries if e.kind.value == "passed"]
    people = {
        "residents": sum(e.people.residents for e in passed),
        "returnees": sum(e.people.returnees for e in passed),
        "crew": sum(e.people.crew for e in passed),
        "other": sum(e.people.other for e in passed),
    }
    assert summary["people"] == people
    assert summary["returnees_cumulative"] == people["returnees"] > 0

    cumulative = 0
    for row in summary["returnees_by_day"]:
        day_total = sum(
            e.people.returnees for e in passed if e.observed_at.date().isoformat() == row["day"]
        )
        cumulative += day_total
        assert (row["returnees"], row["cumulative"]) == (day_total, cumulative)

    cargo_kg: Counter[str] = Counter()
    for e in passed:
        for line in e.cargo:
            cargo_kg[line.category.value] += line.kg
    assert summary["cargo_tonnes"] == {c: cargo_kg[c] / 1000 for c in summary["cargo_tonnes"]}
    assert sum(cargo_kg.values()) > 0

    reasons = Counter(
        e.reason.value for e in entries if e.kind.value in ("denied", "turned_back") and e.reason
    )
    assert summary["denials_by_reason"] == {r: reasons[r] for r in summary["denials_by_reason"]}


def test_no_personal_data_in_the_log(demo: tuple[dict[str, Any], Path]) -> None:
    _, datadir = demo
    with sqlite3.connect(datadir / "corridor.db") as db:
        log = b"".join(raw for (raw,) in db.execute("SELECT entry FROM log_entries"))
        private = db.execute("SELECT count(*) FROM private_records").fetchone()[0]
    assert private > 0
    assert b"SIM " not in log and b"Simulated driver" not in log


def test_keys_are_private_files(demo: tuple[dict[str, Any], Path]) -> None:
    _, datadir = demo
    key_files = list((datadir / "keys").rglob("*.key"))
    assert len(key_files) == 27  # admin, HQ, log, pseudonym and 23 posts
    assert all(f.stat().st_mode & 0o077 == 0 for f in key_files)


def test_the_demo_replaces_only_its_own_directory(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    done = run_corridor("demo", "--days", "1", "--no-serve", "--dir", str(precious), cwd=tmp_path)
    assert done.returncode == 1
    assert "not empty and was not made by `corridor demo`" in done.stderr
    assert "Traceback" not in done.stderr
    assert (precious / "notes.txt").read_text() == "keep me"


def test_a_broken_scenario_is_reported_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("corridor: [unclosed\n")
    done = run_corridor("scenario", "validate", str(bad), cwd=tmp_path)
    assert done.returncode == 1
    assert f"{bad}:" in done.stderr and "Traceback" not in done.stderr


def test_the_demos_own_log_passes_audit(demo: tuple[dict[str, Any], Path]) -> None:
    summary, datadir = demo
    done = run_corridor(
        "audit", str(datadir / "log"), "--vkey", summary["log_vkey"], "--json", cwd=datadir
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["checkpoint"]["size"] == summary["log_size"]
