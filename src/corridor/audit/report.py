"""The result of an audit: counts, the checkpoint audited, and every discrepancy found.

A :class:`Finding` names where the problem is (a log index when there is one, and a place: a tile
path, ``checkpoint``, ``tiles``, ``registry``, ``bulletin``...) and why. The report keeps at most
:data:`MAX_FINDINGS` findings so that a thoroughly broken log cannot exhaust memory; the rest are
counted in ``findings_omitted`` (entry findings and log-wide ones are capped separately).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["MAX_FINDINGS", "AuditReport", "CheckpointInfo", "Counts", "Finding", "render_text"]

MAX_FINDINGS = 1000
"""Findings kept in a report; further ones are only counted."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One discrepancy: the log index it concerns (if any), where it is, and why."""

    index: int | None
    where: str
    reason: str

    def __str__(self) -> str:
        at = "-" if self.index is None else str(self.index)
        return f"[{at}] {self.where}: {self.reason}"


@dataclass(slots=True)
class Counts:
    """What the audit went through."""

    entries: int = 0
    passages: int = 0
    registrations: int = 0
    revocations: int = 0
    bulletins: int = 0
    signatures_verified: int = 0


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """The verified checkpoint the audit covered."""

    origin: str
    size: int
    root: bytes


@dataclass
class AuditReport:
    """Everything one audit found. ``ok`` is true only if the checkpoint verified and nothing
    else was found."""

    log: str
    origin: str
    checkpoint: CheckpointInfo | None = None
    previous: CheckpointInfo | None = None
    counts: Counts = field(default_factory=Counts)
    findings: list[Finding] = field(default_factory=list)
    findings_omitted: int = 0
    _kept: dict[bool, int] = field(default_factory=lambda: {False: 0, True: 0}, repr=False)

    def add(self, index: int | None, where: str, reason: str) -> None:
        """Record a finding, or only count it once :data:`MAX_FINDINGS` of its kind are kept.
        Findings about entries (with an index) and about the log as a whole (tiles, checkpoint)
        are capped separately, so a flood of bad entries does not hide a bad tile."""
        kind = index is not None
        if self._kept[kind] < MAX_FINDINGS:
            self._kept[kind] += 1
            self.findings.append(Finding(index, where, reason))
        else:
            self.findings_omitted += 1

    @property
    def ok(self) -> bool:
        """Whether the log passed: checkpoint verified, no finding."""
        return self.checkpoint is not None and not self.findings and not self.findings_omitted

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values (roots in base64, like checkpoints)."""

        def info(value: CheckpointInfo | None) -> dict[str, Any] | None:
            if value is None:
                return None
            return {
                "origin": value.origin,
                "size": value.size,
                "root": base64.b64encode(value.root).decode(),
            }

        return {
            "ok": self.ok,
            "log": self.log,
            "origin": self.origin,
            "checkpoint": info(self.checkpoint),
            "previous": info(self.previous),
            "counts": asdict(self.counts),
            "findings": [asdict(f) for f in self.findings],
            "findings_omitted": self.findings_omitted,
        }

    def to_json(self) -> str:
        """The report as one JSON document (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)


def render_text(report: AuditReport) -> str:
    """A short plain-text rendering of a report, for people."""
    lines = [f"log: {report.log}"]
    cp = report.checkpoint
    if cp is None:
        lines.append(f"checkpoint: NOT VERIFIED (key {report.origin})")
    else:
        root = base64.b64encode(cp.root).decode()
        lines.append(f"checkpoint: {cp.origin}, size {cp.size:,}, root {root}")
    if report.previous is not None:
        prev = report.previous
        root = base64.b64encode(prev.root).decode()
        lines.append(f"previous checkpoint: size {prev.size:,}, root {root}")
    c = report.counts
    lines.append(
        f"entries: {c.entries:,} (passages {c.passages:,}, registrations {c.registrations:,}, "
        f"revocations {c.revocations:,}, bulletins {c.bulletins:,}); "
        f"signatures verified: {c.signatures_verified:,}"
    )
    total = len(report.findings) + report.findings_omitted
    if report.ok:
        lines.append("result: OK, no discrepancy found")
    else:
        lines.append(f"result: FAILED, {total:,} finding(s)")
        lines.extend(f"  {finding}" for finding in report.findings)
        if report.findings_omitted:
            lines.append(f"  ... and {report.findings_omitted:,} more not shown")
    return "\n".join(lines) + "\n"
