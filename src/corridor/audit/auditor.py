"""``audit()``: the independent check of a published corridor log, with nothing but its key.

In order:

1. the checkpoint is verified with the log's verifier key (the origin is the key's name); if it
   does not verify, nothing it states can be trusted and the audit stops there;
2. the tiles are checked against each other and the root rebuilt from them is compared with the
   checkpoint's (:mod:`corridor.audit.tree`); an earlier checkpoint, if given, must be a prefix;
3. the entries are streamed one bundle (256 entries) at a time, each checked against its level-0
   hashes, parsed as a signed envelope and checked: its signature, and its key against the
   registry replayed from the log (:mod:`corridor.audit.keyring`); every bulletin is recomputed
   (:mod:`corridor.audit.figures`).

Every discrepancy becomes a :class:`~corridor.audit.report.Finding`; the audit goes on after each.
Memory stays bounded by the tiles above level 0, one bundle, the registry and per-day figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from corridor.audit.figures import RunningFigures, figure_differences
from corridor.audit.keyring import KeyRing
from corridor.audit.report import AuditReport, CheckpointInfo
from corridor.audit.source import LogSource, SourceTileReader
from corridor.audit.tree import TreeChecker
from corridor.errors import CorridorError, NotFoundError, SignatureError, ValidationError
from corridor.ledger import Checkpoint, Ed25519Verifier, entry_bundles_for_size, open_checkpoint
from corridor.model.signing import EntryType, Envelope, SignedPassage

__all__ = ["Progress", "audit"]

Progress = Callable[[int, int], None]
"""Called with (entries done, entries in the log) after every bundle."""

# Canonical envelopes end with their type (keys sort as body, key, sig, type).
_PASSAGE_TAIL = b',"type":"passage"}'
_REGISTRATION_TAIL = b',"type":"key_registration"}'


def _open(text: bytes | str, verifier: Ed25519Verifier) -> Checkpoint:
    return open_checkpoint(text, [verifier], origin=verifier.name)


def audit(
    source: LogSource,
    log_vkey: str,
    *,
    previous_checkpoint: str | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Audit the log at ``source`` against the log's verifier key ``log_vkey`` (a C2SP vkey).

    ``previous_checkpoint`` is the text of a checkpoint note seen earlier: the current tree must
    extend it. Everything wrong with the log is a finding in the report; the audit raises only
    for an unusable ``log_vkey`` (:class:`~corridor.errors.VerificationError`) or a log it
    cannot read at all (:class:`~corridor.audit.source.LogUnavailableError`: network error,
    server error), where going on would only repeat the same failure.
    """
    verifier = Ed25519Verifier.from_vkey(log_vkey)
    report = AuditReport(log=source.location, origin=verifier.name)
    try:
        text = source.read("checkpoint")
    except NotFoundError as exc:
        report.add(None, "checkpoint", f"no checkpoint, audit stopped: {exc}")
        return report
    try:
        checkpoint = _open(text, verifier)
    except CorridorError as exc:
        report.add(None, "checkpoint", f"checkpoint does not verify, audit stopped: {exc}")
        return report
    report.checkpoint = CheckpointInfo(checkpoint.origin, checkpoint.size, checkpoint.root_hash)
    tree = TreeChecker(SourceTileReader(source), checkpoint, report)
    if not tree.check_upper():
        tree.rebuild_from_entries()
    if previous_checkpoint is not None:
        try:
            previous = _open(previous_checkpoint, verifier)
        except CorridorError as exc:
            report.add(None, "previous checkpoint", f"does not verify: {exc}")
        else:
            tree.check_previous(previous)
    _EntryChecker(report).run(tree, progress)
    return report


class _EntryChecker:
    """Interprets the entries of a log in order (the hot path of an audit)."""

    def __init__(self, report: AuditReport) -> None:
        self.report = report
        self.keys = KeyRing()
        self.figures = RunningFigures()

    def run(self, tree: TreeChecker, progress: Progress | None) -> None:
        size, counts = tree.size, self.report.counts
        for bundle in entry_bundles_for_size(size):
            for index, raw in tree.bundle(bundle):
                counts.entries += 1
                if index == 0 and not raw.endswith(_REGISTRATION_TAIL):
                    self.report.add(0, "registry", "the first entry must register the admin key")
                if raw.endswith(_PASSAGE_TAIL):
                    self.passage(index, raw)
                else:
                    self.other(index, raw)
            if progress is not None:
                progress(min(size, (bundle.index + 1) * 256), size)

    def passage(self, index: int, raw: bytes) -> None:
        report = self.report
        try:
            signed = SignedPassage.from_bytes(raw)
        except ValidationError as exc:
            report.add(index, "passage", f"malformed entry: {exc}")
            return
        report.counts.passages += 1
        entry = signed.entry
        try:
            signed.verify()
        except SignatureError:
            report.add(index, "passage", "signature does not verify")
        else:
            report.counts.signatures_verified += 1
        problem = self.keys.check_post_key(signed.public_key, entry.post, entry.observed_at)
        if problem is not None:
            report.add(index, "passage", problem)
        if self.keys.corridor is not None and entry.corridor != self.keys.corridor:
            report.add(
                index, "passage", f"corridor {entry.corridor!r}, log is {self.keys.corridor!r}"
            )
        self.figures.add(index, entry)

    def other(self, index: int, raw: bytes) -> None:
        report, counts = self.report, self.report.counts
        try:
            envelope = Envelope.from_bytes(raw)
        except ValidationError as exc:
            report.add(index, "entry", f"malformed entry: {exc}")
            return
        kind = envelope.type
        try:
            envelope.verify()
        except SignatureError:
            report.add(index, kind.value, "signature does not verify")
            return
        counts.signatures_verified += 1
        problem: str | None
        if kind is EntryType.KEY_REGISTRATION:
            counts.registrations += 1
            problem = self.keys.register(index, envelope.body, envelope.public_key)
        elif kind is EntryType.KEY_REVOCATION:
            counts.revocations += 1
            problem = self.keys.revoke(index, envelope.body, envelope.public_key)
        elif kind is EntryType.BULLETIN:
            counts.bulletins += 1
            self.bulletin(index, envelope.body, envelope.public_key)
            return
        else:  # a passage not in canonical form ends up here; from_bytes would have refused it
            counts.passages += 1
            problem = "passage entry is not in canonical form"
        if problem is not None:
            report.add(index, kind.value, problem)

    def bulletin(self, index: int, body: Mapping[str, Any], signer: bytes) -> None:
        report, where = self.report, "bulletin"
        problem = self.keys.check_hq_key(signer)
        if problem is not None:
            report.add(index, where, problem)
        tree_size, day_text = body.get("tree_size"), body.get("day")
        if not isinstance(tree_size, int) or isinstance(tree_size, bool) or tree_size < 0:
            report.add(index, where, f"tree_size {tree_size!r} is not a whole number")
            return
        try:
            day = date.fromisoformat(day_text) if isinstance(day_text, str) else None
        except ValueError:
            day = None
        if day is None:
            report.add(index, where, f"day {day_text!r} is not a date (YYYY-MM-DD)")
            return
        if self.keys.corridor is not None and body.get("corridor") != self.keys.corridor:
            report.add(
                index, where, f"corridor {body.get('corridor')!r}, log is {self.keys.corridor!r}"
            )
        if tree_size > index:
            report.add(index, where, f"tree_size {tree_size} is beyond the bulletin's own index")
            return
        computed = self.figures.as_of(day, tree_size, index)
        if computed is None:
            report.add(
                index,
                where,
                f"figures as of tree size {tree_size} not recomputed: more than "
                f"{self.figures.recent.maxlen} passages lie between it and the bulletin",
            )
            return
        for difference in figure_differences(body.get("figures"), computed):
            report.add(index, where, f"{day}: {difference}")
