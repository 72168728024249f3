"""A small but real HQ for the post's tests: a FastAPI app implementing docs/sync.md.

It verifies request signatures, entry signatures and private-record commitments, logs each event
once (dedupe by event id; same id with other bytes is 409), reports gaps in a post's sequence
numbers, signs checkpoints with a real log key and serves real tlog tiles and tlog-proof
receipts. Faults are injected through attributes (``fail``, ``fail_after_ingest``,
``publish``), never by patching.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from corridor.datadir import log_origin
from corridor.errors import CorridorError
from corridor.ledger.checkpoint import Checkpoint, sign_checkpoint
from corridor.ledger.keys import Ed25519Signer
from corridor.ledger.merkle import leaf_hash
from corridor.ledger.note import Note
from corridor.ledger.proofs import MemoryTree
from corridor.ledger.tilehash import MemoryTileReader, build_tiles
from corridor.ledger.tiles import parse_tile_path
from corridor.ledger.tlogproof import TlogProof
from corridor.model.events import PrivateRecord
from corridor.model.signing import SignedPassage, verify_signature
from corridor.post.wire import request_message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": "Fake", "message": message}, status_code=status)


@dataclass
class FakeHq:
    """HQ's state: registered post keys, the log, and the registries it hands out."""

    corridor_id: str = "lachin"
    post_keys: dict[str, bytes] = field(default_factory=dict)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    permits: list[dict[str, Any]] = field(default_factory=list)
    operators: list[dict[str, Any]] = field(default_factory=list)
    #: Statuses to answer the next pushes with, before doing anything (503, 409, ...).
    fail: list[int] = field(default_factory=list)
    #: Ingest the next push, then answer 503 as if the answer were lost on the way.
    fail_after_ingest: bool = False
    #: Publish a checkpoint after each push (False: sequenced but not yet published).
    publish: bool = True
    #: Answer every receipt request with the receipt of log entry 0 (a wrong receipt).
    wrong_receipts: bool = False

    def __post_init__(self) -> None:
        self.log_key = Ed25519Signer.generate(log_origin(self.corridor_id))
        self.pseudonym_key = os.urandom(32)
        self.tree = MemoryTree()
        self.entries: list[bytes] = []
        self.by_id: dict[str, int] = {}
        self.seqs: dict[str, dict[int, str]] = {}
        self.private: dict[str, dict[str, Any]] = {}
        self.pushes = 0
        self.note = ""
        self.published_size = 0
        self.publish_now()

    # -- the log -------------------------------------------------------------------------------

    def publish_now(self) -> str:
        size = self.tree.size
        checkpoint = Checkpoint(self.log_key.name, size, self.tree.root(size))
        self.note = sign_checkpoint(checkpoint, self.log_key).to_text()
        self.published_size = size
        return self.note

    def forged_checkpoint(self, size: int) -> str:
        """A checkpoint properly signed by the log key but for another tree (a fork)."""
        checkpoint = Checkpoint(self.log_key.name, size, hashlib.sha256(os.urandom(8)).digest())
        return sign_checkpoint(checkpoint, self.log_key).to_text()

    def rewrite(self, index: int, raw: bytes) -> None:
        """Replace a logged entry behind everyone's back (a dishonest HQ): the tiles it serves
        from now on are those of the rewritten tree."""
        self.entries[index] = raw
        self.tree = MemoryTree([leaf_hash(entry) for entry in self.entries])

    @property
    def vkey(self) -> str:
        return self.log_key.verifier().to_vkey()

    # -- endpoints -----------------------------------------------------------------------------

    def _authenticate(self, request: Request, purpose: str, body: bytes) -> str | None:
        post = request.headers.get("x-corridor-post", "")
        try:
            key = base64.b64decode(request.headers.get("x-corridor-key", ""), validate=True)
            sig = base64.b64decode(request.headers.get("x-corridor-signature", ""), validate=True)
            if self.post_keys.get(post) != key:
                return None
            verify_signature(key, request_message(purpose, body), sig)
        except (ValueError, CorridorError):
            return None
        return post

    def push(self, post: str, body: bytes) -> JSONResponse:
        data = json.loads(body)
        if data.get("post") != post:
            return _error(422, "post: differs from X-Corridor-Post")
        fresh: list[tuple[int, str, bytes, dict[str, Any]]] = []
        results = []
        for i, event in enumerate(data["events"]):
            raw = base64.b64decode(event["entry"])
            salt = base64.b64decode(event["salt"])
            try:
                passage = SignedPassage.from_bytes(raw)
                passage.verify()
            except CorridorError as exc:
                return _error(422, f"events[{i}]: {exc}")
            private = PrivateRecord.from_json(event["private"])
            if hashlib.sha256(salt + private.canonical()).hexdigest() != passage.entry.private:
                return _error(422, f"events[{i}].private: does not match the commitment")
            event_id = str(passage.entry.event_id)
            known = self.by_id.get(event_id)
            if known is not None and self.entries[known] != raw:
                return _error(409, f"event {event_id} is already logged with other content")
            fresh.append((event["seq"], event_id, raw, event["private"]))
        for seq, event_id, raw, private in fresh:
            index = self.by_id.get(event_id)
            duplicate = index is not None
            if index is None:
                index = len(self.entries)
                self.entries.append(raw)
                self.tree.append(leaf_hash(raw))
                self.by_id[event_id] = index
                self.private[event_id] = private
            self.seqs.setdefault(post, {})[seq] = event_id
            results.append(
                {"seq": seq, "event_id": event_id, "log_index": index, "duplicate": duplicate}
            )
        if self.publish:
            self.publish_now()
        seqs = sorted(self.seqs.get(post, {}))
        gaps, previous = [], 0
        for seq in seqs:
            if seq > previous + 1:
                gaps.append([previous + 1, seq - 1])
            previous = seq
        answer = {
            "results": results,
            "gaps": gaps,
            "highest_seq": seqs[-1] if seqs else 0,
            "checkpoint": self.note,
        }
        return JSONResponse(answer)

    def registry(self, post: str) -> dict[str, Any]:
        return {
            "post": post,
            "keys": [
                {
                    "owner": owner,
                    "role": "post",
                    "key": base64.b64encode(key).decode(),
                    "valid_from": "2020-12-01T00:00:00Z",
                    "revoked_at": None,
                }
                for owner, key in self.post_keys.items()
            ],
            "vehicles": self.vehicles,
            "permits": self.permits,
            "operators": [o for o in self.operators if o.get("post") == post],
            "pseudonym_key": base64.b64encode(self.pseudonym_key).decode(),
            "log_vkey": self.vkey,
        }

    def tile(self, path: str) -> Response:
        tile = parse_tile_path(f"tile/{path}")
        size = self.published_size
        leaves = [leaf_hash(entry) for entry in self.entries[:size]]
        try:
            (data,) = MemoryTileReader(build_tiles(leaves)).read_tiles([tile])
        except LookupError:
            return _error(404, f"no tile {path} at size {size}")
        return Response(data, media_type="application/octet-stream")

    def receipt(self, event_id: str) -> JSONResponse:
        index = self.by_id.get(event_id)
        if index is None or index >= self.published_size:
            return _error(404, "not yet in a published checkpoint")
        if self.wrong_receipts:
            index = 0
        proof = TlogProof.create(index, Note.from_text(self.note), self.tree)
        return JSONResponse({"event_id": event_id, "log_index": index, "proof": proof.to_text()})

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/sync/push")
        async def push(request: Request) -> Response:
            body = await request.body()
            self.pushes += 1
            if self.fail:
                status = self.fail.pop(0)
                return _error(status, f"injected {status}")
            post = self._authenticate(request, "push", body)
            if post is None:
                return _error(401, "bad or missing request signature")
            answer = self.push(post, body)
            if self.fail_after_ingest and answer.status_code == 200:
                self.fail_after_ingest = False
                return _error(503, "the answer was lost")
            return answer

        @app.get("/api/v1/sync/registry")
        def registry(request: Request) -> Response:
            post = self._authenticate(request, "registry", b"")
            if post is None:
                return _error(401, "bad or missing request signature")
            return JSONResponse(self.registry(post))

        @app.get("/log/tile/{path:path}")
        def tile(path: str) -> Response:
            return self.tile(path)

        @app.get("/api/v1/passages/{event_id}/receipt")
        def receipt(event_id: str) -> Response:
            return self.receipt(event_id)

        return app
