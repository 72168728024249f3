"""`corridor audit` and `corridor verify-receipt` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from corridor.ledger import (
    MemoryTileReader,
    Note,
    TileHashReader,
    TlogProof,
    build_tiles,
    leaf_hash,
)
from tests.audit.logbuilder import Keys


def corridor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corridor", *args], capture_output=True, text=True, timeout=120
    )


def test_audit_clean_log_json(clean_log: Path, keys: Keys) -> None:
    result = corridor("audit", str(clean_log), "--vkey", keys.vkey, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["counts"]["entries"] == 306
    assert report["findings"] == []


def test_audit_text_report(clean_log: Path, keys: Keys) -> None:
    result = corridor("audit", str(clean_log), "--vkey", keys.vkey)
    assert result.returncode == 0, result.stderr
    assert "result: OK" in result.stdout


def test_audit_tampered_log_exits_1_naming_index(clean_log: Path, keys: Keys) -> None:
    data = bytearray((clean_log / "tile/entries/000").read_bytes())
    data[-10] ^= 0x01  # inside the last entry of the bundle, index 255
    (clean_log / "tile/entries/000").write_bytes(bytes(data))
    result = corridor("audit", str(clean_log), "--vkey", keys.vkey, "--json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)["findings"]
    assert {
        "index": 255,
        "where": "tile/entries/000",
        "reason": "entry bundle does not match level-0 hashes",
    } in findings
    text = corridor("audit", str(clean_log), "--vkey", keys.vkey)
    assert text.returncode == 1
    assert "[255] tile/entries/000: entry bundle does not match level-0 hashes" in text.stdout


def test_audit_previous_checkpoint_option(clean_log: Path, keys: Keys, tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    previous.write_bytes((clean_log / "checkpoint").read_bytes())
    ok = corridor("audit", str(clean_log), "--vkey", keys.vkey, "--previous", str(previous))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    missing = corridor("audit", str(clean_log), "--vkey", keys.vkey, "--previous", "/nonexistent")
    assert missing.returncode == 1
    assert "cannot read /nonexistent" in missing.stderr


def test_audit_bad_vkey_and_missing_dir(clean_log: Path) -> None:
    bad = corridor("audit", str(clean_log), "--vkey", "nonsense")
    assert bad.returncode == 1 and "malformed verifier key" in bad.stderr
    nodir = corridor("audit", "/nonexistent/log", "--vkey", "nonsense")
    assert nodir.returncode == 1 and "is not a directory" in nodir.stderr


def write_receipt(tmp_path: Path, entries: list[bytes], index: int, log: Path) -> Path:
    tiles = build_tiles([leaf_hash(e) for e in entries])
    note = Note.from_text((log / "checkpoint").read_text())
    reader = TileHashReader(len(entries), MemoryTileReader(tiles))
    proof = TlogProof.create(index, note, reader)
    path = tmp_path / "receipt.txt"
    path.write_text(proof.to_text())
    return path


def test_verify_receipt(
    clean_log: Path, keys: Keys, clean_entries: list[bytes], tmp_path: Path
) -> None:
    receipt = write_receipt(tmp_path, clean_entries, 42, clean_log)
    entry = tmp_path / "entry.json"
    entry.write_bytes(clean_entries[42])
    result = corridor("verify-receipt", str(receipt), "--vkey", keys.vkey, "--entry", str(entry))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: passage entry 42 is in audit.test/log")

    entry.write_bytes(clean_entries[43])
    wrong = corridor("verify-receipt", str(receipt), "--vkey", keys.vkey, "--entry", str(entry))
    assert wrong.returncode == 1
    assert "error:" in wrong.stderr and "root" in wrong.stderr
