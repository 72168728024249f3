"""The daily bulletin: the day's figures, computed from the log alone.

One pure function, :func:`daily_figures`, computes a day's figures from public entries; HQ uses it
to write the bulletin and ``corridor audit`` uses it to recompute every bulletin from the entries
before it, so a published figure that the log does not support is found. The ``disruptions`` a
bulletin states come from the whole log's flow below its tree size
(:mod:`corridor.reports.disruptions`); :func:`bulletin_figures` gives both at once.

A bulletin entry (type ``bulletin``, signed by the HQ key registered in the log) has the body::

    {"corridor": "lachin", "day": "2020-12-01", "tree_size": 1234, "simulated": true,
     "figures": {...daily_figures(...)...}}

``tree_size`` is the number of log entries the figures were computed from: every entry at an index
below it whose observed day is ``day``. The bulletin itself sits at an index >= tree_size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from corridor.model.events import PublicEntry
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    PeopleCategory,
    ReasonCode,
    VehicleClass,
)
from corridor.reports.disruptions import FlowCounts, day_disruptions


def empty_figures() -> dict[str, Any]:
    return {
        "passages": {k.value: {d.value: 0 for d in Direction} for k in PassageKind},
        "passed_by_class": {d.value: {v.value: 0 for v in VehicleClass} for d in Direction},
        "people": {c.value: 0 for c in PeopleCategory},
        "cargo_kg": {c.value: 0 for c in CargoCategory},
        "denials_by_reason": {r.value: 0 for r in ReasonCode},
    }


def add_entry(figures: dict[str, Any], entry: PublicEntry) -> None:
    """Count one entry into ``figures`` (the counting rule of docs/data-model.md)."""
    figures["passages"][entry.kind.value][entry.direction.value] += 1
    if entry.kind is PassageKind.PASSED:
        figures["passed_by_class"][entry.direction.value][entry.vehicle_class.value] += 1
        people = figures["people"]
        people["residents"] += entry.people.residents
        people["returnees"] += entry.people.returnees
        people["crew"] += entry.people.crew
        people["other"] += entry.people.other
        for line in entry.cargo:
            figures["cargo_kg"][line.category.value] += line.kg
    elif entry.reason is not None:
        figures["denials_by_reason"][entry.reason.value] += 1


def daily_figures(entries: Iterable[PublicEntry], day: date) -> dict[str, Any]:
    """The figures of ``day`` (UTC) over ``entries``; entries of other days are skipped."""
    figures = empty_figures()
    for entry in entries:
        if entry.observed_at.date() == day:
            add_entry(figures, entry)
    return figures


def bulletin_figures(entries: Iterable[PublicEntry], day: date) -> dict[str, Any]:
    """Everything a bulletin of ``day`` states, over ``entries`` (all those below its tree
    size): the day's figures and the disruptions open that day, replayed over the whole flow."""
    flow = FlowCounts()
    figures = empty_figures()
    for entry in entries:
        flow.add(entry)
        if entry.observed_at.date() == day:
            add_entry(figures, entry)
    figures["disruptions"] = day_disruptions(flow, day)
    return figures


def bulletin_body(
    corridor: str, day: date, tree_size: int, figures: dict[str, Any], *, simulated: bool
) -> dict[str, Any]:
    return {
        "corridor": corridor,
        "day": day.isoformat(),
        "tree_size": tree_size,
        "simulated": simulated,
        "figures": figures,
    }
