"""Fixtures for audit tests: the keys of a test log and a factory writing logs to disk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from corridor.audit import AuditReport, DirectorySource, audit
from tests.audit.logbuilder import Keys, corridor_entries, write_log


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="session")
def clean_entries(keys: Keys) -> list[bytes]:
    return corridor_entries(keys)


LogFactory = Callable[[Sequence[bytes]], Path]


@pytest.fixture
def make_log(tmp_path: Path, keys: Keys) -> LogFactory:
    """Write a log of the given entries to a fresh directory and return it."""
    count = 0

    def make(entries: Sequence[bytes]) -> Path:
        nonlocal count
        count += 1
        directory = tmp_path / f"log{count}"
        write_log(directory, entries, keys.log)
        return directory

    return make


@pytest.fixture
def clean_log(make_log: LogFactory, clean_entries: list[bytes]) -> Path:
    return make_log(clean_entries)


def run_audit(directory: Path, keys: Keys, previous: str | None = None) -> AuditReport:
    return audit(DirectorySource(directory), keys.vkey, previous_checkpoint=previous)
