"""Vehicle pseudonyms: a keyed HMAC of the normalised plate.

The same plate always gives the same pseudonym under one key, so the public can follow a vehicle's
passages without learning its plate; without HQ's key nobody can test a guessed plate. Rotating
the key (a new ``key_id``) breaks linkage across the rotation, on purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

PSEUDONYM_BYTES = 16


def normalise_plate(plate: str) -> str:
    """Upper-case letters and digits only, after Unicode compatibility folding.

    ``"34 aa-123"`` and ``"34AA123"`` are one plate.
    """
    folded = unicodedata.normalize("NFKC", plate).upper()
    return "".join(ch for ch in folded if ch.isalnum())


def vehicle_pseudonym(plate: str, key: bytes) -> str:
    """Hex pseudonym (32 digits) of a plate under HQ's pseudonym key."""
    digest = hmac.new(key, normalise_plate(plate).encode("utf-8"), hashlib.sha256).digest()
    return digest[:PSEUDONYM_BYTES].hex()
