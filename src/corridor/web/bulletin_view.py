"""What the bulletin templates show, built from a published bulletin in the reader's language.

The figures are the signed entry's own (:mod:`corridor.reports.bulletin_pages`); this module
only orders them into rows, puts labels on the vocabulary codes (:mod:`corridor.web.labels`)
and draws the charts (:mod:`corridor.web.charts`). Cargo is stated in kilograms in the log and
shown in tonnes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from corridor.model.events import parse_time
from corridor.model.vocabulary import (
    CargoCategory,
    Direction,
    PassageKind,
    PeopleCategory,
    ReasonCode,
    VehicleClass,
)
from corridor.reports.bulletin_pages import BulletinPage, PublishedBulletin
from corridor.web.charts import Series, bar_chart
from corridor.web.i18n import Localizer
from corridor.web.labels import label, labels

#: Fill colours of the two directions (dark blue, dark orange: distinct in grey print too).
DIRECTION_COLOURS = {"inbound": "#245b84", "outbound": "#b5561c"}
CARGO_COLOUR = "#3b7d4f"
DIRECTIONS = [d.value for d in Direction]


@dataclass(frozen=True)
class Row:
    """A labelled row of a figures table: the code, its label and its numbers."""

    code: str
    label: str
    values: Sequence[float]


@dataclass(frozen=True)
class Disruption:
    direction: str
    vehicle_class: str
    start: datetime
    end: datetime | None
    expected: float
    observed: int
    severity: str


@dataclass(frozen=True)
class Headline:
    """The few numbers the index shows for a day."""

    passed: Mapping[str, int]
    people: int
    returnees: int
    cargo_t: float
    denials: int
    disruptions: int


def tonnes(kg: float) -> float:
    return kg / 1000


def headline(bulletin: PublishedBulletin) -> Headline:
    figures = bulletin.figures
    passages = figures["passages"]
    return Headline(
        passed={d: int(passages["passed"][d]) for d in DIRECTIONS},
        people=sum(int(n) for n in figures["people"].values()),
        returnees=bulletin.returnees,
        cargo_t=tonnes(sum(figures["cargo_kg"].values())),
        denials=sum(
            int(passages[kind][d])
            for kind in (PassageKind.DENIED.value, PassageKind.TURNED_BACK.value)
            for d in DIRECTIONS
        ),
        disruptions=len(figures.get("disruptions", [])),
    )


def _disruptions(stated: Sequence[Mapping[str, Any]], loc: Localizer) -> list[Disruption]:
    words = labels(loc)
    out = []
    for item in stated:
        vehicle_class = (
            loc.gettext("all classes")
            if item.get("all_classes")
            else label(words.vehicle_classes, str(item["vehicle_class"]))
        )
        end = item.get("end")
        out.append(
            Disruption(
                direction=label(words.directions, str(item["direction"])),
                vehicle_class=vehicle_class,
                start=parse_time(item["start"], "start"),
                end=None if end is None else parse_time(end, "end"),
                expected=float(item["expected"]),
                observed=int(item["observed"]),
                severity=label(words.severities, str(item.get("severity", ""))),
            )
        )
    return out


def _class_chart(rows: Sequence[Row], loc: Localizer) -> Markup:
    words = labels(loc)
    return bar_chart(
        "chart-classes",
        loc.gettext("Vehicles passed by class and direction"),
        [row.label for row in rows],
        [
            Series(words.directions[d], DIRECTION_COLOURS[d], [row.values[i] for row in rows])
            for i, d in enumerate(DIRECTIONS)
        ],
        lambda v: loc.number(int(v)),
    )


def _cargo_chart(rows: Sequence[Row], loc: Localizer) -> Markup:
    return bar_chart(
        "chart-cargo",
        loc.gettext("Cargo on passed vehicles by category, tonnes"),
        [row.label for row in rows],
        [Series(loc.gettext("tonnes"), CARGO_COLOUR, [row.values[0] for row in rows])],
        lambda v: loc.number(v, 1),
    )


def page_context(page: BulletinPage, loc: Localizer) -> dict[str, Any]:
    """The ``bulletin.html`` context of ``page`` (without the audit command: the route adds it,
    since it depends on the address the page was asked at)."""
    bulletin = page.bulletin
    figures = bulletin.figures
    words = labels(loc)
    passages = figures["passages"]
    by_class = figures["passed_by_class"]
    cargo = figures["cargo_kg"]
    classes = [
        Row(v.value, words.vehicle_classes[v.value], [by_class[d][v.value] for d in DIRECTIONS])
        for v in VehicleClass
    ]
    cargo_rows = [
        Row(c.value, words.cargo[c.value], [tonnes(cargo[c.value])]) for c in CargoCategory
    ]
    return {
        "page": page,
        "bulletin": bulletin,
        "directions": [(d, words.directions[d]) for d in DIRECTIONS],
        "passages": [
            Row(k.value, words.kinds[k.value], [passages[k.value][d] for d in DIRECTIONS])
            for k in PassageKind
        ],
        "classes": classes,
        "class_chart": _class_chart(classes, loc),
        "people": [
            Row(c.value, words.people[c.value], [figures["people"][c.value]])
            for c in PeopleCategory
        ],
        "people_total": sum(figures["people"].values()),
        "cargo": cargo_rows,
        "cargo_total_t": tonnes(sum(cargo.values())),
        "cargo_chart": _cargo_chart(cargo_rows, loc),
        "denials": [
            Row(r.value, words.reasons[r.value], [figures["denials_by_reason"][r.value]])
            for r in ReasonCode
        ],
        "denials_total": sum(figures["denials_by_reason"].values()),
        "disruptions": _disruptions(figures.get("disruptions", []), loc),
        "headline": headline(bulletin),
    }
