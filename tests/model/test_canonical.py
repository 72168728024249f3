"""RFC 8785 canonical JSON: known answers, and the fast path equals the reference on our shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from corridor.model.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_json_fast


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 8785 section 3.2.2 ordering and whitespace.
        ({"b": 1, "a": [1, 2, {"d": None, "c": True}]}, b'{"a":[1,2,{"c":true,"d":null}],"b":1}'),
        # Strings: only the mandatory escapes; non-ASCII stays UTF-8; controls as \u00xx.
        ({"s": '\u20ac\n"\\\x1f'}, '{"s":"\u20ac\\n\\"\\\\\\u001f"}'.encode()),
        # Numbers as ECMAScript prints them (RFC 8785 appendix B).
        ([1e21, 1e-7, 0.1, -0.0, 333333333.3333333], b"[1e+21,1e-7,0.1,0,333333333.3333333]"),
        # Keys sort by UTF-16 code units: U+1F600 (a surrogate pair) before U+FFFD.
        ({"\ufffd": 1, "\U0001f600": 2}, '{"\U0001f600":2,"\ufffd":1}'.encode()),
    ],
)
def test_known_answers(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


ascii_keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(ascii_keys, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_fast_path_equals_rfc8785_on_restricted_shapes(value: Any) -> None:
    assert canonical_json_fast(value) == rfc8785.dumps(value)


def test_fast_path_output_parses_back() -> None:
    value = {"z": "\u2028", "a": [MAX_SAFE_INTEGER, -1]}
    assert json.loads(canonical_json_fast(value)) == value
