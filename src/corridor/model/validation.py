"""Rules a public entry must satisfy before it is stored: each kind of problem has its own error
type (see :mod:`corridor.errors`) and a message that names the field."""

from __future__ import annotations

from datetime import datetime, timedelta

from corridor.errors import (
    EntryTooLargeError,
    FutureTimeError,
    MissingReasonError,
    MissingWeightError,
    NegativeCountError,
    ValidationError,
)
from corridor.model.corridor import Corridor
from corridor.model.events import PublicEntry, format_time
from corridor.model.signing import MAX_ENTRY_BYTES
from corridor.model.vocabulary import KINDS_WITH_REASON

#: How far ahead of the receiving clock an observed time may be (clock drift at a post).
DEFAULT_MAX_FUTURE = timedelta(minutes=10)


def validate_entry(
    entry: PublicEntry,
    corridor: Corridor,
    now: datetime,
    *,
    max_future: timedelta | None = DEFAULT_MAX_FUTURE,
    entry_bytes: int | None = None,
) -> None:
    """Raise the first rule the entry breaks, naming the field; return None if it is valid.

    ``max_future=None`` skips the clock rule (HQ records skew instead of refusing)."""
    if entry.corridor != corridor.id:
        raise ValidationError(
            "corridor", f"entry is for corridor {entry.corridor!r}, this is {corridor.id!r}"
        )
    corridor.post(entry.post)
    people = entry.people
    for name, count in (
        ("residents", people.residents),
        ("returnees", people.returnees),
        ("crew", people.crew),
        ("other", people.other),
    ):
        if count < 0:
            raise NegativeCountError(f"people.{name}", f"must not be negative, got {count}")
    for i, line in enumerate(entry.cargo):
        if line.kg < 0:
            raise NegativeCountError(f"cargo[{i}].kg", f"must not be negative, got {line.kg}")
        if line.kg == 0:
            raise MissingWeightError(f"cargo[{i}].kg", f"{line.category.value} cargo has no weight")
    if entry.kind in KINDS_WITH_REASON and entry.reason is None:
        raise MissingReasonError("reason", f"a {entry.kind.value} passage needs a reason code")
    if entry.kind not in KINDS_WITH_REASON and entry.reason is not None:
        raise MissingReasonError(
            "reason", f"only denied or turned_back passages carry a reason, not {entry.kind.value}"
        )
    if max_future is not None and entry.observed_at > now + max_future:
        raise FutureTimeError(
            "observed_at",
            f"{format_time(entry.observed_at)} is more than {max_future} ahead of "
            f"{format_time(now)}",
        )
    size = entry_bytes if entry_bytes is not None else len(entry.canonical())
    if size > MAX_ENTRY_BYTES:
        raise EntryTooLargeError("entry", f"{size:,} bytes, over the {MAX_ENTRY_BYTES:,} limit")
