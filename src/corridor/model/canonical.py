"""RFC 8785 (JSON Canonicalization Scheme) serialisation.

Public entries are signed and logged as canonical JSON, so that the same entry always has the
same bytes. ``canonical_json`` handles any JSON value through the ``rfc8785`` library (chosen
because it is a small, maintained, spec-tested implementation; see docs/design.md).

``canonical_json_fast`` is the hot-path variant for values whose shape we control: objects with
ASCII keys, strings, ``None``, booleans and integers within +-2**53. For exactly those values
msgspec's JSON encoder with sorted keys emits the RFC 8785 bytes (same key order for ASCII keys,
same string escapes, integers printed the same way) at a twentieth of the cost. The equivalence
is property-tested against ``rfc8785`` in ``tests/model/test_canonical.py``; callers guarantee
the shape (floats are refused at construction of every model value).
"""

from __future__ import annotations

from typing import Any

import msgspec
import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1

_fast_encoder = msgspec.json.Encoder(order="sorted")


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical bytes of any JSON value."""
    result: bytes = rfc8785.dumps(value)
    return result


def canonical_json_fast(value: Any) -> bytes:
    """Return the RFC 8785 bytes of a value of the restricted shape described above."""
    return _fast_encoder.encode(value)
