"""The log over HTTP, byte-exact per C2SP tlog-tiles, and passage receipts (tlog-proof)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from corridor.ledger import (
    Ed25519Verifier,
    TlogProof,
    decode_entry_bundle,
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
    verify_proof,
)
from corridor.store import queries
from corridor.store.engine import Store


def log_entries(store: Store) -> list[bytes]:
    with store.read() as conn:
        return [raw for _, _, raw in queries.iter_log_entries(conn)]


def verifier(client: Any) -> Ed25519Verifier:
    return Ed25519Verifier.from_vkey(client.get("/log/vkey").text.strip())


def test_checkpoint_is_signed_uncached_text_over_every_entry(client: Any, store: Store) -> None:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    checkpoint = open_checkpoint(response.text, [verifier(client)])
    entries = log_entries(store)
    assert checkpoint.size == len(entries)
    assert checkpoint.root_hash == root_from_leaf_hashes([leaf_hash(e) for e in entries])


def test_full_tiles_are_immutable_and_partial_tiles_are_prefixes(client: Any, store: Store) -> None:
    hashes = [leaf_hash(e) for e in log_entries(store)]
    full = client.get("/log/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(hashes[:256])
    partial = client.get("/log/tile/0/000.p/5")
    assert partial.content == b"".join(hashes[:5])
    assert "immutable" not in partial.headers["cache-control"]
    last = len(hashes) // 256
    width = len(hashes) % 256
    assert client.get(f"/log/tile/0/{last:03d}.p/{width}").content == b"".join(hashes[last * 256 :])


def test_entry_bundles_hold_the_log_entries(client: Any, store: Store) -> None:
    entries = log_entries(store)
    bundle = client.get("/log/tile/entries/000")
    assert bundle.headers["content-type"] == "application/octet-stream"
    assert decode_entry_bundle(bundle.content) == entries[:256]


def test_what_does_not_exist_yet_is_404(client: Any, store: Store) -> None:
    size = len(log_entries(store))
    beyond = client.get(f"/log/tile/0/{size // 256 + 1:03d}")
    assert beyond.status_code == 404 and "published size" in beyond.json()["message"]
    assert client.get(f"/log/tile/0/{size // 256:03d}.p/255").status_code == 404
    assert client.get("/log/tile/entries/x001/000").status_code == 404


def test_malformed_tile_paths_are_4xx_with_a_message(client: Any) -> None:
    for path in ("/log/tile/0/1", "/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/x"):
        response = client.get(path)
        assert 400 <= response.status_code < 500, path
        assert "tile path" in response.json()["message"] or "tile" in response.json()["message"]


def test_the_static_export_equals_what_http_serves(client: Any, demo_dir: Path) -> None:
    log = demo_dir / "log"
    assert (log / "checkpoint").read_text() == client.get("/log/checkpoint").text
    assert (log / "tile" / "0" / "000").read_bytes() == client.get("/log/tile/0/000").content
    for path in (log / "tile").rglob("*"):
        if path.is_file():
            relative = path.relative_to(log).as_posix()
            assert client.get(f"/log/{relative}").content == path.read_bytes(), relative


def test_a_receipt_verifies_offline_against_the_log_key(client: Any, store: Store) -> None:
    passage = client.get("/api/v1/passages", params={"limit": 3}).json()["passages"][2]
    receipt = client.get(f"/api/v1/passages/{passage['event_id']}/receipt")
    assert receipt.status_code == 200
    body = receipt.json()
    assert body["log_index"] == passage["log_index"]
    proof = TlogProof.from_text(body["proof"])
    entry = base64.b64decode(body["entry"])
    assert entry == log_entries(store)[passage["log_index"]]
    verify_proof(proof, entry, [verifier(client)])
    assert base64.b64decode(body["qr_png"]).startswith(b"\x89PNG\r\n\x1a\n")
    png = client.get(f"/api/v1/passages/{passage['event_id']}/receipt.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_a_receipt_for_an_unknown_or_malformed_id_is_refused(client: Any) -> None:
    unknown = client.get("/api/v1/passages/00000000-0000-4000-8000-000000000000/receipt")
    assert unknown.status_code == 404 and "no passage" in unknown.json()["message"]
    assert client.get("/api/v1/passages/nope/receipt").status_code == 422
