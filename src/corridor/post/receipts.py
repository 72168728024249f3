"""Passage receipts: the C2SP tlog-proof of each logged passage, fetched from HQ, verified and
kept in the outbox row for the printable receipt.

A receipt is taken only if its index is the one HQ acknowledged, the proof includes the row's
own log entry under the checkpoint, the checkpoint verifies with the log's key, and the
checkpoint is consistent with those the post saw before (:mod:`corridor.post.checkpoints`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import update

from corridor.errors import VerificationError
from corridor.ledger.checkpoint import Checkpoint
from corridor.ledger.keys import Ed25519Verifier
from corridor.ledger.tlogproof import TlogProof, verify_proof
from corridor.post.checkpoints import HqUnavailableError
from corridor.post.node import PostNode
from corridor.post.records import OutboxRow
from corridor.store.schema import outbox

RECEIPT_PATH = "/api/v1/passages/{event_id}/receipt"
BAD_RECEIPT = "bad_receipt"

Send = Callable[..., httpx.Response]
CheckCheckpoint = Callable[[str], Checkpoint]


def verified_receipt(row: OutboxRow, proof_text: str, verifier: Ed25519Verifier) -> TlogProof:
    """Parse and verify ``row``'s receipt; raise :class:`VerificationError` if it is not one."""
    proof = TlogProof.from_text(proof_text)
    if proof.index != row.log_index:
        raise VerificationError(
            f"receipt is for index {proof.index}, HQ acknowledged {row.log_index}"
        )
    verify_proof(proof, row.entry, [verifier], origin=verifier.name)
    return proof


def fetch_receipts(node: PostNode, send: Send, check: CheckCheckpoint, limit: int = 100) -> int:
    """Fetch the receipts of acknowledged rows without one, oldest first, through
    ``send(method, path)``; stop at the first one HQ has not published yet (404). Returns how
    many were stored. A receipt that does not verify raises an alert and the error."""
    vkey = node.log_vkey()
    if vkey is None:
        return 0
    verifier = Ed25519Verifier.from_vkey(vkey)
    stored = 0
    for row in node.without_receipt(limit):
        response = send("GET", RECEIPT_PATH.format(event_id=row.event_id))
        if response.status_code == 404:
            break  # logged but not yet in a published checkpoint: later
        data = _json(response)
        if response.status_code != 200 or not isinstance(data, dict):
            raise HqUnavailableError(f"HQ answered {response.status_code} for a receipt")
        try:
            proof = verified_receipt(row, str(data.get("proof", "")), verifier)
        except VerificationError as exc:
            node.raise_alert(BAD_RECEIPT, f"receipt of passage {row.seq}: {exc}")
            raise
        check(proof.checkpoint.to_text())
        with node.store.write() as conn:
            conn.execute(
                update(outbox).where(outbox.c.seq == row.seq).values(receipt=proof.to_text())
            )
        stored += 1
    return stored


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
