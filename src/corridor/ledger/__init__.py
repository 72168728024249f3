"""The transparency log, as pure functions and frozen values over ``bytes`` and ``int``.

No I/O, no database, no network: storage plugs in through :class:`HashReader` and
:class:`TileReader`. Byte-exact with the C2SP specs signed-note, tlog-checkpoint, tlog-tiles,
tlog-cosignature (Ed25519) and tlog-proof, and with RFC 9162 Merkle trees and proofs.

Modules: ``merkle`` (hashes, builder), ``proofs`` (proof generation), ``verify`` (proof
checks), ``tiles`` (tile layout, entry bundles), ``tilehash`` (hashes and roots from tiles),
``keys`` and ``note`` (signed notes), ``checkpoint``, ``cosignature``, ``tlogproof``.
Every ``verify_*`` function returns ``None`` or raises
:class:`~corridor.errors.VerificationError`.
"""

from corridor.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from corridor.ledger.cosignature import (
    ALG_COSIGNATURE_V1,
    CosignatureVerifier,
    Cosigner,
    cosignature_message,
    cosignature_timestamp,
    parse_verifier_key,
    verify_cosignatures,
)
from corridor.ledger.keys import (
    ALG_ED25519,
    Ed25519Signer,
    Ed25519Verifier,
    Signer,
    Verifier,
    VerifierKey,
    is_valid_key_name,
    key_id,
)
from corridor.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    TreeBuilder,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    subtree_nodes,
)
from corridor.ledger.note import MAX_SIGNATURES, Note, NoteSignature, open_note, verify_note
from corridor.ledger.proofs import (
    HashReader,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    tree_hash,
)
from corridor.ledger.tilehash import (
    MemoryTileReader,
    TileHashReader,
    TileReader,
    build_tiles,
    root_from_tiles,
    tile_root,
    verify_entry_bundle,
    verify_tiles,
)
from corridor.ledger.tiles import (
    ENTRIES_LEVEL,
    MAX_ENTRY_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    TilePathError,
    decode_entry_bundle,
    encode_entry_bundle,
    entries_path,
    entry_bundles_for_size,
    parse_tile_path,
    tile_for_size,
    tile_path,
    tiles_for_size,
)
from corridor.ledger.tlogproof import TLOG_PROOF_HEADER, TlogProof, verify_proof
from corridor.ledger.verify import (
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "EMPTY_ROOT",
    "ENTRIES_LEVEL",
    "HASH_SIZE",
    "MAX_ENTRY_SIZE",
    "MAX_SIGNATURES",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "TLOG_PROOF_HEADER",
    "Checkpoint",
    "CosignatureVerifier",
    "Cosigner",
    "Ed25519Signer",
    "Ed25519Verifier",
    "HashReader",
    "MemoryTileReader",
    "MemoryTree",
    "Note",
    "NoteSignature",
    "Signer",
    "Tile",
    "TileHashReader",
    "TilePathError",
    "TileReader",
    "TlogProof",
    "TreeBuilder",
    "Verifier",
    "VerifierKey",
    "build_tiles",
    "consistency_proof",
    "cosignature_message",
    "cosignature_timestamp",
    "decode_entry_bundle",
    "encode_entry_bundle",
    "entries_path",
    "entry_bundles_for_size",
    "inclusion_proof",
    "is_valid_key_name",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_tile_path",
    "parse_verifier_key",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_from_tiles",
    "sign_checkpoint",
    "subtree_nodes",
    "tile_for_size",
    "tile_path",
    "tile_root",
    "tiles_for_size",
    "tree_hash",
    "verify_consistency",
    "verify_cosignatures",
    "verify_entry_bundle",
    "verify_inclusion",
    "verify_note",
    "verify_proof",
    "verify_subtree_consistency",
    "verify_subtree_inclusion",
    "verify_tiles",
]
