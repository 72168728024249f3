"""The published daily bulletins, read back from the log for the public pages.

A bulletin is public once a published checkpoint covers its log entry (the checkpoint's size is
above the entry's index): before that, ``/log/`` does not serve it and no one could check it, so
the pages do not show it either. Figures are taken from the signed entry exactly as HQ wrote it
(:mod:`corridor.hq.bulletins`); nothing is recomputed here.

::

    published_bulletins(conn)     every public bulletin, oldest day first
    bulletin_page(conn, day)      one day's bulletin, its checkpoint and cumulative returnees

If HQ wrote a day's bulletin twice (a rerun), the later entry is the day's bulletin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from corridor.model.signing import EntryType, Envelope, b64
from corridor.store import queries
from corridor.store.schema import log_entries


@dataclass(frozen=True)
class PublishedBulletin:
    """One bulletin entry of the log: where it sits, what it states and who signed it."""

    log_index: int
    day: date
    corridor: str
    tree_size: int
    simulated: bool
    figures: Mapping[str, Any]
    #: The entry as logged (``body``, ``key``, ``sig``, ``type``), parsed from its bytes.
    entry: Mapping[str, Any]
    signature: str
    key: str
    #: The owner name the key is registered under (``hq``), None if it is not registered.
    key_name: str | None

    @property
    def returnees(self) -> int:
        return int(self.figures["people"]["returnees"])


@dataclass(frozen=True)
class BulletinPage:
    """A bulletin with what its page states beside it."""

    bulletin: PublishedBulletin
    #: Returnees of every published day up to and including this one.
    returnees_to_date: int
    #: The published checkpoint (size and signed note text) that covers the bulletin's entry.
    checkpoint_size: int
    checkpoint: str
    previous_day: date | None
    next_day: date | None


def _bulletin_entries(conn: Connection, below: int) -> list[tuple[int, bytes]]:
    rows = conn.execute(
        select(log_entries.c.idx, log_entries.c.entry)
        .where(log_entries.c.type == EntryType.BULLETIN.value, log_entries.c.idx < below)
        .order_by(log_entries.c.idx)
    ).all()
    return [(int(idx), bytes(raw)) for idx, raw in rows]


def _parse(index: int, raw: bytes, key_names: Mapping[bytes, str]) -> PublishedBulletin:
    envelope = Envelope.from_bytes(raw)
    body = envelope.body
    return PublishedBulletin(
        log_index=index,
        day=date.fromisoformat(body["day"]),
        corridor=str(body["corridor"]),
        tree_size=int(body["tree_size"]),
        simulated=bool(body["simulated"]),
        figures=body["figures"],
        entry={
            "body": body,
            "key": b64(envelope.public_key),
            "sig": b64(envelope.signature),
            "type": envelope.type.value,
        },
        signature=b64(envelope.signature),
        key=b64(envelope.public_key),
        key_name=key_names.get(envelope.public_key),
    )


def published_bulletins(conn: Connection) -> list[PublishedBulletin]:
    """Every bulletin a published checkpoint covers, one per day, oldest day first."""
    state = queries.published_state(conn)
    if state is None:
        return []
    key_names = {record.public_key: record.owner for record in queries.all_keys(conn)}
    by_day: dict[date, PublishedBulletin] = {}
    for index, raw in _bulletin_entries(conn, state[0]):
        bulletin = _parse(index, raw, key_names)
        by_day[bulletin.day] = bulletin  # in log order: a rerun's later entry wins
    return [by_day[day] for day in sorted(by_day)]


def bulletin_page(conn: Connection, day: date) -> BulletinPage | None:
    """The bulletin of ``day`` with its checkpoint and the returnees to date, or None if no
    published bulletin states that day."""
    state = queries.published_state(conn)
    bulletins = published_bulletins(conn)
    days = [b.day for b in bulletins]
    if state is None or day not in days:
        return None
    position = days.index(day)
    return BulletinPage(
        bulletin=bulletins[position],
        returnees_to_date=sum(b.returnees for b in bulletins[: position + 1]),
        checkpoint_size=state[0],
        checkpoint=state[1],
        previous_day=days[position - 1] if position > 0 else None,
        next_day=days[position + 1] if position + 1 < len(days) else None,
    )
