"""Signed entries: the round trip works, and any changed byte is rejected."""

from __future__ import annotations

import base64
import binascii
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import SignatureError, ValidationError
from corridor.model.signing import (
    EntryType,
    Envelope,
    SignedPassage,
    SigningKey,
    sign_body,
    unb64,
)
from tests.conftest import EntryFactory


def test_round_trip(make_entry: EntryFactory, post_key: SigningKey) -> None:
    signed = SignedPassage.sign(make_entry(), post_key)
    parsed = SignedPassage.from_bytes(signed.raw)
    parsed.verify()
    assert parsed.entry == signed.entry
    assert parsed.public_key == post_key.public_key
    envelope = Envelope.from_bytes(signed.raw)
    envelope.verify()
    assert envelope.type is EntryType.PASSAGE


def test_signatures_are_deterministic(make_entry: EntryFactory, post_key: SigningKey) -> None:
    assert (
        SignedPassage.sign(make_entry(), post_key).raw
        == SignedPassage.sign(make_entry(), post_key).raw
    )


def test_every_changed_byte_is_rejected(make_entry: EntryFactory, post_key: SigningKey) -> None:
    raw = SignedPassage.sign(make_entry(), post_key).raw
    rejected = 0
    for position in range(len(raw)):
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        try:
            SignedPassage.from_bytes(bytes(tampered)).verify()
        except (SignatureError, ValidationError):
            rejected += 1
    assert rejected == len(raw)


def test_a_signature_from_another_key_is_rejected(make_entry: EntryFactory) -> None:
    one, other = SigningKey.generate(), SigningKey.generate()
    signed = SignedPassage.sign(make_entry(), one)
    # The same entry, claiming the other key but carrying the first key's signature.
    obj = json.loads(SignedPassage.sign(make_entry(), other).raw)
    obj["sig"] = json.loads(signed.raw)["sig"]
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(SignatureError, match="does not verify"):
        SignedPassage.from_bytes(raw).verify()


def test_signatures_do_not_cross_entry_types(post_key: SigningKey) -> None:
    raw = sign_body(EntryType.BULLETIN, {"day": "2020-12-01"}, post_key)
    obj = json.loads(raw)
    obj["type"] = EntryType.KEY_REGISTRATION.value
    swapped = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    Envelope.from_bytes(raw).verify()
    with pytest.raises(SignatureError):
        Envelope.from_bytes(swapped).verify()


def test_non_canonical_bytes_are_refused(make_entry: EntryFactory, post_key: SigningKey) -> None:
    raw = SignedPassage.sign(make_entry(), post_key).raw
    spaced = json.dumps(json.loads(raw), sort_keys=True).encode()
    with pytest.raises(ValidationError, match="canonical"):
        SignedPassage.from_bytes(spaced)


def test_base64_must_be_canonical(make_entry: EntryFactory, post_key: SigningKey) -> None:
    raw = SignedPassage.sign(make_entry(), post_key).raw
    obj = json.loads(raw)
    key = obj["key"]
    assert key.endswith("=")
    # Same bytes, other trailing bits: a second spelling of the same key.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = key[:-2] + last[last.index(key[-2]) ^ 1] + "="
    obj["key"] = twin
    respelled = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(ValidationError, match="^key: not in canonical base64 form"):
        SignedPassage.from_bytes(respelled)


def _reference_unb64(text: str) -> bytes | None:
    """The definition of canonical base64: strict decoding, then the same text on re-encoding."""
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return data if binascii.b2a_base64(data, newline=False) == text.encode() else None


_BASE64_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=12
)


@given(st.one_of(_BASE64_TEXT, st.binary(max_size=9).map(lambda b: base64.b64encode(b).decode())))
def test_unb64_accepts_exactly_the_canonical_spelling(text: str) -> None:
    expected = _reference_unb64(text)
    if expected is None:
        with pytest.raises(ValidationError):
            unb64(text, "field")
    else:
        assert unb64(text, "field") == expected


@given(st.binary(min_size=1, max_size=9), st.integers(min_value=1, max_value=3))
def test_unb64_refuses_every_other_spelling_of_the_same_bytes(data: bytes, flip: int) -> None:
    text = base64.b64encode(data).decode()
    padding = len(text) - len(text.rstrip("="))
    if padding == 0:
        return  # no spare bits: one spelling only
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = text[-padding - 1]
    spare = 0b1111 if padding == 2 else 0b11
    twin = text[: -padding - 1] + alphabet[alphabet.index(last) ^ (flip & spare)] + "=" * padding
    assert binascii.a2b_base64(twin) == data
    with pytest.raises(ValidationError, match="not in canonical base64 form"):
        unb64(twin, "field")
