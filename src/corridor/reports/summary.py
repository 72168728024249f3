"""Figures over the stored passages, for the demo's summary, the dashboard and the API.

They read the daily counters ingest keeps in its own transaction (``daily_totals``,
``daily_cargo``, ``daily_reasons``: store/counters.py), a few dozen rows a day summed over the
posts, never the passages: the cost grows with the days, not with the traffic.

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
from corridor.store.schema import daily_cargo, daily_reasons, daily_totals

PASSED = PassageKind.PASSED.value
DENIAL_KINDS = (PassageKind.DENIED.value, PassageKind.TURNED_BACK.value)

flow = daily_totals.c
cargo = daily_cargo.c


def passages_by_kind_and_direction(conn: Connection) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {
        kind.value: {d.value: 0 for d in Direction} for kind in PassageKind
    }
    rows = conn.execute(
        select(flow.kind, flow.direction, func.sum(flow.events)).group_by(flow.kind, flow.direction)
    )
    for kind, direction, count in rows:
        table[kind][direction] = int(count)
    return table


def people_by_category(conn: Connection) -> dict[str, int]:
    columns = [flow[c.value] for c in PeopleCategory]
    row = conn.execute(
        select(*[func.coalesce(func.sum(col), 0) for col in columns]).where(flow.kind == PASSED)
    ).one()
    return {c.value: int(v) for c, v in zip(PeopleCategory, row, strict=True)}


def returnees_by_day(conn: Connection) -> list[dict[str, Any]]:
    """Returnees per day and cumulative, in day order."""
    rows = conn.execute(
        select(flow.day, func.sum(flow.returnees))
        .where(flow.kind == PASSED)
        .group_by(flow.day)
        .order_by(flow.day)
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
        select(cargo.category, func.sum(cargo.kg))
        .where(cargo.kind == PASSED)
        .group_by(cargo.category)
    )
    for category, total in rows:
        kg[category] = int(total)
    return kg


def cargo_kg_by_day(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(cargo.day, cargo.category, func.sum(cargo.kg))
        .where(cargo.kind == PASSED)
        .group_by(cargo.day, cargo.category)
        .order_by(cargo.day, cargo.category)
    )
    by_day: dict[str, dict[str, int]] = {}
    for day, category, total in rows:
        kg = by_day.get(day)
        if kg is None:
            kg = by_day[day] = {c.value: 0 for c in CargoCategory}
        kg[category] = int(total)
    return [{"day": day, "kg": kg} for day, kg in by_day.items()]


def denials_by_reason(conn: Connection) -> dict[str, int]:
    counts = {r.value: 0 for r in ReasonCode}
    reasons = daily_reasons.c
    rows = conn.execute(
        select(reasons.reason, func.sum(reasons.events))
        .where(reasons.kind.in_(DENIAL_KINDS))
        .group_by(reasons.reason)
    )
    for reason, count in rows:
        counts[reason] = int(count)
    return counts


def daily_counts(conn: Connection) -> list[dict[str, Any]]:
    """Passed vehicles per day, by direction and vehicle class."""
    rows = conn.execute(
        select(flow.day, flow.direction, flow.vehicle_class, func.sum(flow.events))
        .where(flow.kind == PASSED)
        .group_by(flow.day, flow.direction, flow.vehicle_class)
        # The grouping's own order: the key's index gives it, where ORDER BY day alone costs a
        # sort of every row.
        .order_by(flow.day, flow.direction, flow.vehicle_class)
    )
    by_day: dict[str, dict[str, dict[str, int]]] = {}
    for day, direction, vehicle_class, count in rows:
        table = by_day.get(day)
        if table is None:  # not setdefault: that would build the empty table on every row
            table = by_day[day] = {d.value: {v.value: 0 for v in VehicleClass} for d in Direction}
        table[direction][vehicle_class] = int(count)
    return [{"day": day, "passed": table} for day, table in by_day.items()]


def summary(conn: Connection) -> dict[str, Any]:
    """The demo's summary: every figure the issue asks for, from the counters."""
    by_kind = passages_by_kind_and_direction(conn)
    returnees = returnees_by_day(conn)
    cargo_kg = cargo_kg_by_category(conn)
    first_last = conn.execute(select(func.min(flow.day), func.max(flow.day))).one()
    return {
        "events": sum(sum(d.values()) for d in by_kind.values()),
        "first_day": first_last[0],
        "last_day": first_last[1],
        "passages": by_kind,
        "people": people_by_category(conn),
        "returnees_cumulative": returnees[-1]["cumulative"] if returnees else 0,
        "returnees_by_day": returnees,
        "cargo_tonnes": {category: kg / 1000 for category, kg in cargo_kg.items()},
        "denials_by_reason": denials_by_reason(conn),
    }
