"""Tile checks above level 1: a log of 65,536 + 300 entries has full level-1 tiles and a level-2
tile. The entries are not corridor envelopes, so only the tree findings matter here."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.audit import AuditReport
from tests.audit.conftest import run_audit
from tests.audit.logbuilder import Keys, write_log

SIZE = 65_536 + 300


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Path:
    directory = tmp_path_factory.mktemp("big") / "log"
    write_log(directory, [b"entry %d" % n for n in range(SIZE)], keys.log)
    return directory


def tree_findings(report: AuditReport) -> list[str]:
    return [str(f) for f in report.findings if f.where.startswith(("tile/", "tiles"))]


def test_tiles_of_a_two_level_log_verify(big_log: Path, keys: Keys) -> None:
    assert sorted(p.name for p in (big_log / "tile/2").iterdir()) == ["000.p"]
    report = run_audit(big_log, keys)
    assert report.checkpoint is not None and report.checkpoint.size == SIZE
    assert tree_findings(report) == []
    assert report.findings_omitted > 0  # every entry is malformed: findings are capped


def test_garbled_level1_tile_is_named(big_log: Path, keys: Keys) -> None:
    path = big_log / "tile/1/000"
    original = path.read_bytes()
    try:
        path.write_bytes(original[:32] + bytes(32) + original[64:])
        report = run_audit(big_log, keys)
    finally:
        path.write_bytes(original)
    assert tree_findings(report) == [
        "[-] tile/1/000: does not match hash 0 of tile/2/000.p/1",
        "[-] tile/1/000: differs from the tile rebuilt from the entries (which give the "
        "checkpoint's root)",
    ]


def test_garbled_level0_tile_under_full_level1(big_log: Path, keys: Keys) -> None:
    path = big_log / "tile/0/256"
    original = path.read_bytes()
    try:
        path.write_bytes(bytes(len(original)))
        report = run_audit(big_log, keys)
    finally:
        path.write_bytes(original)
    assert tree_findings(report) == ["[-] tile/0/256: does not match hash 0 of tile/1/001.p/1"]
