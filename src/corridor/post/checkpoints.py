"""Checking HQ's checkpoints: each one signed by the log's key, and consistent with the last.

A post keeps every checkpoint it accepted in ``seen_checkpoints``. A new one is accepted only if

* its signed note verifies with the log's verifier key (pulled once from HQ and then kept), and
* it extends the newest checkpoint seen: an RFC 9162 consistency proof from the old size to the
  new one, computed from HQ's public tiles (``/log/tile/...``) and verified against both signed
  roots. The tiles need no trust: a wrong tile gives a proof that does not verify.

A checkpoint of a size already seen must carry the same root. One smaller than the newest seen
(an older checkpoint, in a receipt for instance) must be consistent with it, and is not stored.
Anything else is a fork or a rewritten log: an ``inconsistent_checkpoint`` alert is raised, the
checkpoint is never stored as seen, and :class:`~corridor.errors.VerificationError` is raised.

The log's key changes only by an administrator's decision, :func:`trust_log_key` (``corridor
post trust-log-key``): they state the exact key HQ's registry now names (checked with HQ over
another channel), and in one transaction the post trusts it, forgets the checkpoints seen under
the old key (the next one starts anew), acknowledges the ``log_key_changed`` alert and records a
``log_key_reset`` alert saying who changed what.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import delete, select, update

from corridor.errors import ConfigError, CorridorError, ValidationError, VerificationError
from corridor.ledger.checkpoint import Checkpoint, open_checkpoint
from corridor.ledger.keys import Ed25519Verifier, VerifierKey
from corridor.ledger.note import Note
from corridor.ledger.proofs import consistency_proof
from corridor.ledger.tilehash import TileHashReader, TileReader
from corridor.ledger.tiles import Tile
from corridor.ledger.verify import verify_consistency
from corridor.model.events import format_time
from corridor.post.node import PostNode
from corridor.post.registry import META_LOG_VKEY, META_LOG_VKEY_OFFERED, log_key_fingerprint
from corridor.store import queries
from corridor.store.schema import alerts, seen_checkpoints

INCONSISTENT = "inconsistent_checkpoint"
BAD_SIGNATURE = "bad_checkpoint"
#: Raised by the sync client when HQ's registry names another log key (kept, not taken).
LOG_KEY_CHANGED = "log_key_changed"
#: Recorded when an administrator makes the post trust another log key.
LOG_KEY_RESET = "log_key_reset"

_FINGERPRINT = re.compile(r"[0-9a-fA-F]{64}")


class HqUnavailableError(CorridorError):
    """HQ could not be reached, or answered with a server error: try again later."""

    status_code = 503


class HttpTileReader:
    """A :class:`~corridor.ledger.tilehash.TileReader` over HQ's ``/log/tile/...`` files.

    ``get(path)`` fetches a path below HQ's URL. Full tiles never change, so they are kept.
    """

    def __init__(self, get: Callable[[str], httpx.Response]) -> None:
        self._get = get
        self._full: dict[Tile, bytes] = {}
        self._log: str | None = None

    def for_log(self, vkey: str) -> None:
        """Keep tiles for the log ``vkey`` signs only: after a log key reset the new log's
        tiles are fetched again (a new log may reuse every tile coordinate)."""
        if vkey != self._log:
            self._full.clear()
            self._log = vkey

    def read_tiles(self, tiles: Sequence[Tile]) -> list[bytes]:
        """Return each tile's bytes; ``LookupError`` for one HQ does not have."""
        out = []
        for tile in tiles:
            data = self._full.get(tile)
            if data is None:
                try:
                    response = self._get(f"/log/{tile.path}")
                except httpx.HTTPError as exc:
                    raise HqUnavailableError(f"cannot fetch log tile {tile.path}: {exc}") from exc
                if response.status_code == 404:
                    raise LookupError(f"HQ has no tile {tile.path}")
                if response.status_code != 200:
                    raise HqUnavailableError(
                        f"HQ answered {response.status_code} for log tile {tile.path}"
                    )
                data = response.content
                if not tile.is_partial:
                    self._full[tile] = data
            out.append(data)
        return out


@dataclass(frozen=True, slots=True)
class Seen:
    """A checkpoint this post accepted, with its note text."""

    checkpoint: Checkpoint
    note: str


def _seen(node: PostNode) -> tuple[Seen | None, dict[int, Seen]]:
    with node.store.read() as conn:
        rows = conn.execute(select(seen_checkpoints.c.size, seen_checkpoints.c.note)).all()
    seen = {
        int(size): Seen(Checkpoint.from_text(Note.from_text(note).text), str(note))
        for size, note in rows
    }
    newest = seen[max(seen)] if seen else None
    return newest, seen


def _store(node: PostNode, checkpoint: Checkpoint, note_text: str) -> None:
    with node.store.write() as conn:
        exists = conn.execute(
            select(seen_checkpoints.c.size).where(seen_checkpoints.c.size == checkpoint.size)
        ).first()
        if exists is None:
            conn.execute(
                seen_checkpoints.insert().values(
                    size=checkpoint.size, note=note_text, seen_at=format_time(node.clock())
                )
            )


def _consistent(old: Checkpoint, new: Checkpoint, tiles: TileReader) -> None:
    """Verify that ``old`` is a prefix of ``new`` (``0 < old.size < new.size``)."""
    try:
        proof = consistency_proof(old.size, new.size, TileHashReader(new.size, tiles))
    except LookupError as exc:
        raise HqUnavailableError(f"HQ's tiles cannot prove size {new.size}: {exc}") from exc
    verify_consistency(old.size, new.size, proof, old.root_hash, new.root_hash)


def check_checkpoint(node: PostNode, note_text: str, tiles: TileReader) -> Checkpoint:
    """Accept ``note_text`` as HQ's checkpoint if it is signed and consistent (see the module
    docstring); return it. Raises :class:`VerificationError` after raising an alert."""
    vkey = node.log_vkey()
    if vkey is None:
        raise ConfigError("this post has no log key yet: pull the registry from HQ first")
    verifier = Ed25519Verifier.from_vkey(vkey)
    if isinstance(tiles, HttpTileReader):
        tiles.for_log(vkey)
    try:
        new = open_checkpoint(note_text, [verifier], origin=verifier.name)
    except VerificationError as exc:
        node.raise_alert(BAD_SIGNATURE, f"HQ sent a checkpoint that does not verify: {exc}")
        raise
    newest, seen = _seen(node)
    problem: str | None = None
    same = seen.get(new.size)
    if same is not None:
        if same.checkpoint.root_hash != new.root_hash:
            problem = f"size {new.size} was seen with another root hash"
        else:
            return new
    elif newest is None or newest.checkpoint.size == 0:
        _store(node, new, note_text)
        return new
    else:
        old, young = (newest.checkpoint, new)
        if new.size < old.size:
            old, young = new, old  # an older checkpoint must be a prefix of the newest seen
        if old.size > 0:
            try:
                _consistent(old, young, tiles)
            except VerificationError as exc:
                problem = (
                    f"size {new.size} is not consistent with size {newest.checkpoint.size} "
                    f"seen before: {exc}"
                )
    if problem is not None:
        message = f"HQ's log checkpoint is inconsistent: {problem}"
        node.raise_alert(INCONSISTENT, message, source=new.origin)
        raise VerificationError(message)
    if newest is None or new.size > newest.checkpoint.size:
        _store(node, new, note_text)
    return new


def newest_seen(node: PostNode) -> Checkpoint | None:
    """The newest checkpoint this post accepted, if any."""
    newest, _ = _seen(node)
    return None if newest is None else newest.checkpoint


@dataclass(frozen=True, slots=True)
class LogKeyReset:
    """What :func:`trust_log_key` did."""

    old: str
    new: str
    #: Checkpoints seen under the old key, now forgotten.
    forgotten: int
    #: Open ``log_key_changed`` alerts it acknowledged.
    acknowledged: int


def describe_log_key(vkey: str) -> str:
    """A log key's name and key ID (``name+hex8``): enough to tell keys apart in a message,
    too little to be pasted back as the key itself."""
    key = VerifierKey.from_text(vkey)
    return f"{key.name}+{key.key_id:08x}"


def _same_key(given: str, offered: str) -> bool:
    """Whether ``given`` (a vkey, or the SHA-256 fingerprint of one) names ``offered``."""
    if _FINGERPRINT.fullmatch(given):
        return given.lower() == log_key_fingerprint(offered)
    try:
        return Ed25519Verifier.from_vkey(given) == Ed25519Verifier.from_vkey(offered)
    except VerificationError as exc:
        raise ValidationError(
            "key",
            f"expected the log's verifier key (name+hex8+base64, as in HQ's log/vkey) or its "
            f"SHA-256 fingerprint (64 hex digits): {exc}",
        ) from exc


def trust_log_key(node: PostNode, expected: str, by: str = "administrator") -> LogKeyReset:
    """Make the post trust the log key HQ's registry now names, if ``expected`` is exactly it
    (the vkey, or its :func:`~corridor.post.registry.log_key_fingerprint`), as an administrator
    checked with HQ over another channel. Never trusts a key HQ has not named, nor one the
    administrator did not state: on any mismatch nothing changes.

    In one transaction: the new key replaces the old, the key offered is forgotten, every
    checkpoint seen under the old key is forgotten (the next one HQ sends is a new start),
    open ``log_key_changed`` alerts are acknowledged, and a ``log_key_reset`` alert records
    who (``by``) replaced which key by which, for the post's operators to see."""
    given = expected.strip()
    with node.store.write() as conn:
        trusted = queries.get_meta(conn, META_LOG_VKEY)
        offered = queries.get_meta(conn, META_LOG_VKEY_OFFERED)
        if offered is None:
            held = f" ({describe_log_key(trusted)})" if trusted is not None else ""
            raise ConfigError(
                "HQ's registry has not named another log key than the one this post "
                f"trusts{held}: there is nothing to reset. If HQ has a new log key, pull its "
                "registry first (`corridor post sync`), then run this again"
            )
        if not _same_key(given, offered):
            shown = given if _FINGERPRINT.fullmatch(given) else describe_log_key(given)
            raise VerificationError(
                f"the key given ({shown}) is not the log key HQ's registry names "
                f"({describe_log_key(offered)}); nothing was changed. Ask HQ's administrator "
                "for the new log key over a channel you trust (in person, by phone: not from "
                "HQ's answers alone) and give it exactly, or its SHA-256 fingerprint "
                "(`sha256sum log/vkey` in HQ's data directory)"
            )
        queries.set_meta(conn, META_LOG_VKEY, offered)
        queries.delete_meta(conn, META_LOG_VKEY_OFFERED)
        forgotten = conn.execute(delete(seen_checkpoints)).rowcount
        acknowledged = conn.execute(
            update(alerts)
            .where(alerts.c.kind == LOG_KEY_CHANGED, alerts.c.acknowledged == 0)
            .values(acknowledged=1)
        ).rowcount
        old = trusted or ""
        was = f"{describe_log_key(old)} (SHA-256 {log_key_fingerprint(old)})" if old else "none"
        conn.execute(
            alerts.insert().values(
                raised_at=format_time(node.clock()),
                kind=LOG_KEY_RESET,
                source=by[:64],
                message=(
                    f"{by} made this post trust the log key {describe_log_key(offered)} "
                    f"(SHA-256 {log_key_fingerprint(offered)}) instead of {was}; "
                    f"{forgotten} checkpoint(s) seen under the old key were forgotten, the next "
                    "one from HQ starts anew"
                ),
                acknowledged=0,
            )
        )
    return LogKeyReset(old, offered, int(forgotten), int(acknowledged))
