"""Figures over the stored passages, computed by the database (SQL aggregates over the public
rows), for the demo's summary, the dashboard and the API.

The counting rule (docs/data-model.md): every event counts as one passage of its kind and
direction; people and cargo count on ``passed`` events only, so a trip seen at two posts is
counted once; denials count ``denied`` and ``turned_back`` events by reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    PeopleCategory,
    ReasonCode,
    VehicleClass,
)
from corridor.store.schema import cargo_lines, passages

PASSED = PassageKind.PASSED.value
DENIAL_KINDS = (PassageKind.DENIED.value, PassageKind.TURNED_BACK.value)


def passages_by_kind_and_direction(conn: Connection) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {
        kind.value: {d.value: 0 for d in Direction} for kind in PassageKind
    }
    rows = conn.execute(
        select(passages.c.kind, passages.c.direction, func.count()).group_by(
            passages.c.kind, passages.c.direction
        )
    )
    for kind, direction, count in rows:
        table[kind][direction] = int(count)
    return table


def people_by_category(conn: Connection) -> dict[str, int]:
    columns = [passages.c[c.value] for c in PeopleCategory]
    row = conn.execute(
        select(*[func.coalesce(func.sum(col), 0) for col in columns]).where(
            passages.c.kind == PASSED
        )
    ).one()
    return {c.value: int(v) for c, v in zip(PeopleCategory, row, strict=True)}


def returnees_by_day(conn: Connection) -> list[dict[str, Any]]:
    """Returnees per day and cumulative, in day order."""
    rows = conn.execute(
        select(passages.c.day, func.sum(passages.c.returnees))
        .where(passages.c.kind == PASSED)
        .group_by(passages.c.day)
        .order_by(passages.c.day)
    )
    out: list[dict[str, Any]] = []
    total = 0
    for day, count in rows:
        total += int(count)
        out.append({"day": day, "returnees": int(count), "cumulative": total})
    return out


def cargo_kg_by_category(conn: Connection) -> dict[str, int]:
    kg = {c.value: 0 for c in CargoCategory}
    rows = conn.execute(
        select(cargo_lines.c.category, func.sum(cargo_lines.c.kg))
        .where(cargo_lines.c.kind == PASSED)
        .group_by(cargo_lines.c.category)
    )
    for category, total in rows:
        kg[category] = int(total)
    return kg


def cargo_kg_by_day(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(cargo_lines.c.day, cargo_lines.c.category, func.sum(cargo_lines.c.kg))
        .where(cargo_lines.c.kind == PASSED)
        .group_by(cargo_lines.c.day, cargo_lines.c.category)
        .order_by(cargo_lines.c.day)
    )
    by_day: dict[str, dict[str, int]] = {}
    for day, category, total in rows:
        by_day.setdefault(day, {c.value: 0 for c in CargoCategory})[category] = int(total)
    return [{"day": day, "kg": kg} for day, kg in by_day.items()]


def denials_by_reason(conn: Connection) -> dict[str, int]:
    counts = {r.value: 0 for r in ReasonCode}
    rows = conn.execute(
        select(passages.c.reason, func.count())
        .where(passages.c.kind.in_(DENIAL_KINDS))
        .group_by(passages.c.reason)
    )
    for reason, count in rows:
        counts[reason] = int(count)
    return counts


def daily_counts(conn: Connection) -> list[dict[str, Any]]:
    """Passed vehicles per day, by direction and vehicle class."""
    rows = conn.execute(
        select(passages.c.day, passages.c.direction, passages.c.vehicle_class, func.count())
        .where(passages.c.kind == PASSED)
        .group_by(passages.c.day, passages.c.direction, passages.c.vehicle_class)
        .order_by(passages.c.day)
    )
    by_day: dict[str, dict[str, dict[str, int]]] = {}
    for day, direction, vehicle_class, count in rows:
        table = by_day.setdefault(
            day, {d.value: {v.value: 0 for v in VehicleClass} for d in Direction}
        )
        table[direction][vehicle_class] = int(count)
    return [{"day": day, "passed": table} for day, table in by_day.items()]


def summary(conn: Connection) -> dict[str, Any]:
    """The demo's summary: every figure the issue asks for, from the store."""
    by_kind = passages_by_kind_and_direction(conn)
    returnees = returnees_by_day(conn)
    cargo = cargo_kg_by_category(conn)
    first_last = conn.execute(select(func.min(passages.c.day), func.max(passages.c.day))).one()
    return {
        "events": sum(sum(d.values()) for d in by_kind.values()),
        "first_day": first_last[0],
        "last_day": first_last[1],
        "passages": by_kind,
        "people": people_by_category(conn),
        "returnees_cumulative": returnees[-1]["cumulative"] if returnees else 0,
        "returnees_by_day": returnees,
        "cargo_tonnes": {category: kg / 1000 for category, kg in cargo.items()},
        "denials_by_reason": denials_by_reason(conn),
    }
