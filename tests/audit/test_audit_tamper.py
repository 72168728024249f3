"""Each way of tampering with a published log is found and named precisely."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from corridor.audit import AuditReport, Finding, render_text
from corridor.ledger import decode_entry_bundle, encode_entry_bundle
from corridor.model.signing import EntryType, sign_body
from tests.audit.conftest import LogFactory, run_audit
from tests.audit.logbuilder import DAY1, REVOKED_AT, Keys, bulletin, passage

BUNDLE0 = "tile/entries/000"


def rewrite_bundle(log: Path, path: str, change: object) -> None:
    file = log / path
    entries = decode_entry_bundle(file.read_bytes())
    assert callable(change)
    change(entries)
    file.write_bytes(encode_entry_bundle(entries))


def reasons(report: AuditReport) -> list[str]:
    return [str(f) for f in report.findings]


def test_changed_entry_byte(clean_log: Path, keys: Keys) -> None:
    data = bytearray((clean_log / BUNDLE0).read_bytes())
    entries = decode_entry_bundle(bytes(data))
    at = sum(2 + len(e) for e in entries[:5]) + 2 + 30  # inside entry 5
    data[at] ^= 0x01
    (clean_log / BUNDLE0).write_bytes(bytes(data))
    report = run_audit(clean_log, keys)
    assert not report.ok
    assert Finding(5, BUNDLE0, "entry bundle does not match level-0 hashes") in report.findings
    assert report.counts.entries == 305  # the changed entry is not interpreted


def test_dropped_entry(clean_log: Path, keys: Keys) -> None:
    rewrite_bundle(clean_log, BUNDLE0, lambda e: e.pop(7))
    report = run_audit(clean_log, keys)
    assert Finding(0, BUNDLE0, "holds 255 entries, want 256") in report.findings
    assert Finding(7, BUNDLE0, "entry bundle does not match level-0 hashes") in report.findings
    assert all(f.index is None or f.index >= 0 for f in report.findings)


def test_swapped_entries(clean_log: Path, keys: Keys) -> None:
    def swap(entries: list[bytes]) -> None:
        entries[20], entries[21] = entries[21], entries[20]

    rewrite_bundle(clean_log, BUNDLE0, swap)
    report = run_audit(clean_log, keys)
    assert report.findings == [
        Finding(20, BUNDLE0, "entry bundle does not match level-0 hashes"),
        Finding(21, BUNDLE0, "entry bundle does not match level-0 hashes"),
        # The bulletin counts the two swapped-out passages, the audit no longer can.
        *[f for f in report.findings if f.where == "bulletin"],
    ]


def test_altered_checkpoint_stops_the_audit(clean_log: Path, keys: Keys) -> None:
    path = clean_log / "checkpoint"
    text = path.read_text()
    path.write_text(text.replace("\n306\n", "\n305\n", 1))
    report = run_audit(clean_log, keys)
    assert not report.ok and report.checkpoint is None
    [finding] = report.findings
    assert finding.where == "checkpoint"
    assert "invalid signature" in finding.reason
    assert report.counts.entries == 0


def test_forked_history_same_size(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    fork = list(clean_entries)
    fork[50] = passage(9999, keys.p01)
    previous = (make_log(fork) / "checkpoint").read_text()
    report = run_audit(make_log(clean_entries), keys, previous=previous)
    assert not report.ok
    [finding] = report.findings
    assert finding.where == "previous checkpoint"
    assert finding.reason.startswith("forked history: size 306 with root")


def test_forked_history_smaller_size(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    fork = list(clean_entries[:100])
    fork[50] = passage(9999, keys.p01)
    previous = (make_log(fork) / "checkpoint").read_text()
    report = run_audit(make_log(clean_entries), keys, previous=previous)
    [finding] = report.findings
    assert finding.reason.startswith("forked history: size 100 is not a prefix")


def test_rolled_back_log(make_log: LogFactory, keys: Keys, clean_entries: list[bytes]) -> None:
    previous = (make_log(clean_entries) / "checkpoint").read_text()
    report = run_audit(make_log(clean_entries[:300]), keys, previous=previous)
    [finding] = report.findings
    assert "rolled back" in finding.reason


def test_entry_signed_by_revoked_key(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    late = passage(5000, keys.p02, "P02", at=REVOKED_AT + timedelta(minutes=5))
    entries = [*clean_entries[:-1], late]
    entries.append(bulletin(keys.hq, DAY1, entries, len(entries)))
    report = run_audit(make_log(entries), keys)
    [finding] = report.findings
    assert finding.index == len(entries) - 2
    assert finding.where == "passage"
    assert "of P02 revoked at 2020-12-01T08:00:00Z" in finding.reason
    assert finding.reason.startswith("key ")


def test_bulletin_with_wrong_figures(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    body = json.loads(clean_entries[-1])["body"]
    body["figures"]["passages"]["passed"]["inbound"] += 1
    entries = [*clean_entries[:-1], sign_body(EntryType.BULLETIN, body, keys.hq)]
    report = run_audit(make_log(entries), keys)
    [finding] = report.findings
    assert finding.index == len(entries) - 1
    assert finding.where == "bulletin"
    assert "figure passages.passed.inbound: published" in finding.reason


def test_bulletin_signed_by_a_post_key(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    body = json.loads(clean_entries[-1])["body"]
    entries = [*clean_entries[:-1], sign_body(EntryType.BULLETIN, body, keys.p01)]
    [finding] = run_audit(make_log(entries), keys).findings
    assert "has role 'post', not 'hq'" in finding.reason


def test_registration_not_signed_by_admin(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    from tests.audit.logbuilder import register

    entries = [*clean_entries, register(keys.p01, "P09", "post", keys.p01)]
    [finding] = run_audit(make_log(entries), keys).findings
    assert finding.index == len(entries) - 1
    assert "not by the admin key" in finding.reason


def test_first_entry_must_register_admin(make_log: LogFactory, keys: Keys) -> None:
    report = run_audit(make_log([passage(1, keys.p01)]), keys)
    assert report.findings[0] == Finding(
        0, "registry", "the first entry must register the admin key"
    )


def test_truncated_tile(clean_log: Path, keys: Keys) -> None:
    path = clean_log / "tile/0/000"
    path.write_bytes(path.read_bytes()[:100])
    report = run_audit(clean_log, keys)
    assert report.findings == [
        Finding(None, "tile/0/000", "truncated or padded: 100 bytes, want 8192")
    ]
    assert report.counts.entries == 306  # the entries still hash to the tile's parent


def test_truncated_partial_tile(clean_log: Path, keys: Keys) -> None:
    path = clean_log / "tile/0/001.p/50"
    path.write_bytes(path.read_bytes()[:-1])
    report = run_audit(clean_log, keys)
    assert not report.ok
    assert Finding(None, "tile/0/001.p/50", "truncated or padded: 1599 bytes, want 1600") in (
        report.findings
    )
    assert report.counts.entries == 306


def test_garbled_level0_tile(clean_log: Path, keys: Keys) -> None:
    path = clean_log / "tile/0/000"
    data = bytearray(path.read_bytes())
    data[64] ^= 0xFF
    path.write_bytes(bytes(data))
    report = run_audit(clean_log, keys)
    assert report.findings == [
        Finding(None, "tile/0/000", "does not match hash 0 of tile/1/000.p/1")
    ]


def test_garbled_upper_tile(clean_log: Path, keys: Keys) -> None:
    path = clean_log / "tile/1/000.p/1"
    path.write_bytes(bytes(32))
    report = run_audit(clean_log, keys)
    assert not report.ok, render_text(report)
    wheres = [f.where for f in report.findings]
    assert "tiles" in wheres  # the root from the tiles is wrong
    assert (
        Finding(
            None,
            "tile/1/000.p/1",
            "differs from the tile rebuilt from the entries (which give the checkpoint's root)",
        )
        in report.findings
    )
    assert report.counts.entries == 306  # the entries were still checked


def test_missing_bundle(clean_log: Path, keys: Keys) -> None:
    (clean_log / "tile/entries/001.p/50").unlink()
    report = run_audit(clean_log, keys)
    [finding, *_] = report.findings
    assert finding.index == 256 and finding.where == "tile/entries/001.p/50"
    assert "cannot read entry bundle" in finding.reason


def test_garbled_bundle_framing(clean_log: Path, keys: Keys) -> None:
    (clean_log / BUNDLE0).write_bytes(b"\xff\xff garbage")
    report = run_audit(clean_log, keys)
    assert report.findings[0].where == BUNDLE0
    assert "claims 65535 bytes" in report.findings[0].reason
