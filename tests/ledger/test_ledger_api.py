"""The public surface of corridor.ledger: every submodule's public name is re-exported, every
public name has a docstring, and the package imports nothing above it."""

from __future__ import annotations

import importlib
import inspect

import corridor.ledger as ledger

MODULES = [
    "checkpoint",
    "cosignature",
    "keys",
    "merkle",
    "note",
    "proofs",
    "tilehash",
    "tiles",
    "tlogproof",
    "verify",
]


def test_all_is_unique_and_complete() -> None:
    assert len(set(ledger.__all__)) == len(ledger.__all__)
    for name in ledger.__all__:
        assert hasattr(ledger, name), name
    for module_name in MODULES:
        module = importlib.import_module(f"corridor.ledger.{module_name}")
        missing = set(module.__all__) - set(ledger.__all__)
        assert not missing, f"{module_name} exports {missing} not re-exported"


def test_public_names_have_docstrings() -> None:
    for name in ledger.__all__:
        obj = getattr(ledger, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and callable(member):
                        assert inspect.getdoc(member), f"{name}.{attr}"
