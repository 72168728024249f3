"""A clean log passes, with the counts and checkpoint it covered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corridor.audit import DirectorySource, audit, render_text
from corridor.errors import VerificationError
from corridor.ledger import Ed25519Signer
from tests.audit.conftest import LogFactory, run_audit
from tests.audit.logbuilder import ORIGIN, Keys, corridor_entries, passage


def test_clean_log_passes(clean_log: Path, keys: Keys, clean_entries: list[bytes]) -> None:
    seen: list[tuple[int, int]] = []
    report = audit(DirectorySource(clean_log), keys.vkey, progress=lambda d, t: seen.append((d, t)))
    assert report.ok, render_text(report)
    assert report.findings == []
    assert report.checkpoint is not None
    assert (report.checkpoint.origin, report.checkpoint.size) == (ORIGIN, len(clean_entries))
    counts = report.counts
    assert counts.entries == len(clean_entries) == 306
    assert (counts.passages, counts.registrations, counts.revocations, counts.bulletins) == (
        300,
        4,
        1,
        1,
    )
    assert counts.signatures_verified == 306
    assert seen == [(256, 306), (306, 306)]


def test_report_json_and_text(clean_log: Path, keys: Keys) -> None:
    report = run_audit(clean_log, keys)
    data = json.loads(report.to_json())
    assert data["ok"] is True
    assert data["checkpoint"]["size"] == 306
    assert data["counts"]["passages"] == 300
    assert data["findings"] == []
    text = render_text(report)
    assert "result: OK" in text
    assert "size 306" in text


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 512])
def test_sizes_on_tile_boundaries(make_log: LogFactory, keys: Keys, count: int) -> None:
    entries = corridor_entries(keys, passages=0)[:4] + [
        passage(n, keys.p01) for n in range(max(0, count - 4))
    ]
    entries = entries[:count]
    report = run_audit(make_log(entries), keys)
    assert report.ok, render_text(report)
    assert report.counts.entries == count


def test_consistent_previous_checkpoint_passes(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    earlier = make_log(clean_entries[:200])
    previous = (earlier / "checkpoint").read_text()
    report = run_audit(make_log(clean_entries), keys, previous=previous)
    assert report.ok, render_text(report)
    assert report.previous is not None and report.previous.size == 200


def test_unusable_vkey_is_an_error(clean_log: Path) -> None:
    with pytest.raises(VerificationError, match="malformed verifier key"):
        audit(DirectorySource(clean_log), "not-a-vkey")


def test_wrong_log_key_stops_at_the_checkpoint(clean_log: Path) -> None:
    other = Ed25519Signer(ORIGIN, b"\x09" * 32).verifier().to_vkey()
    report = audit(DirectorySource(clean_log), other)
    assert not report.ok
    assert report.checkpoint is None
    assert report.counts.entries == 0
    [finding] = report.findings
    assert finding.where == "checkpoint"
    assert "does not verify" in finding.reason
