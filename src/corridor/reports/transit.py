"""Dwell and transit times from the passages: how long vehicles wait at posts and travel
between them, as median and 90th percentile per day, direction, vehicle class and post.

Both are read from the public ``passages`` rows only (``vehicle`` is the pseudonym), in one
pass the database makes over each vehicle's events in time order:

* a **visit** is a run of one vehicle's events at one post in one direction; an ``arrived``
  event always opens a new visit;
* **dwell** at a post: from a visit's ``arrived`` to its last decision (``passed``,
  ``inspected``, ``denied``, ``turned_back``). A visit with no ``arrived`` (an entry post that
  records only its decision) or no decision (the vehicle is still there) gives no dwell;
* **transit** from post A to post B: from the ``passed`` at A to the first event at B, the next
  post where the vehicle was recorded, in the same direction. A turn back, a change of
  direction or a vehicle seen at A again gives no transit.

A dwell or transit over :data:`MAX_SECONDS` is not counted: it means records are missing (a
vehicle's arrival not entered), not that a trip took that long.

Each figure counts the vehicles behind it. What is shown to the public goes through
:func:`public_figures`, which withholds any figure from fewer than :data:`MIN_VEHICLES`
vehicles: a median of two trucks is close to the times of those two trucks.

Cost: the scan uses ``ix_passages_day`` for the day range, then two window passes (each a sort
by vehicle and time), so it grows as n log n in the passages of the range, never as n².
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    case,
    cast,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from corridor.errors import ValidationError
from corridor.model.vocabulary import PassageKind
from corridor.store.schema import passages

#: The fewest vehicles a public figure may come from.
MIN_VEHICLES = 5
#: Longer than this is missing records, not a dwell or a trip (the whole corridor takes hours).
MAX_SECONDS = 24 * 3600
#: The longest range of days one call reads.
MAX_DAYS = 366

DWELL = "dwell"
TRANSIT = "transit"


@dataclass(frozen=True, slots=True)
class DurationFigure:
    """The median and 90th percentile (seconds) of one measure in one group.

    ``post`` is the post of a dwell or the post left; ``to_post`` the post reached (transit
    only). ``day`` is the day (UTC) of the arrival (dwell) or of leaving (transit). When
    ``note`` is set the values were withheld and say why.
    """

    measure: str
    day: str
    post: str
    to_post: str | None
    direction: str
    vehicle_class: str
    vehicles: int
    samples: int
    median_s: float | None
    p90_s: float | None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "day": self.day,
            "post": self.post,
            "to_post": self.to_post,
            "direction": self.direction,
            "vehicle_class": self.vehicle_class,
            "vehicles": self.vehicles,
            "samples": self.samples,
            "median_s": self.median_s,
            "p90_s": self.p90_s,
            "note": self.note,
        }


def dwell_times(conn: Connection, day_from: str | date, day_to: str | date) -> list[DurationFigure]:
    """Dwell at each post, per day of arrival, direction and vehicle class (days inclusive)."""
    first, last = _days(day_from, day_to)
    visits = _visits(conn, first, last)
    seconds = visits.c.last_t - visits.c.first_t
    query = (
        select(
            visits.c.day,
            visits.c.post,
            null().label("to_post"),
            visits.c.direction,
            visits.c.vehicle_class,
            visits.c.vehicle,
            seconds.label("seconds"),
        )
        .where(
            visits.c.arrived == 1,
            visits.c.decisions > 0,
            visits.c.day.between(first.isoformat(), last.isoformat()),
            seconds <= MAX_SECONDS,
        )
        .order_by(*_GROUP_ORDER, "seconds")
    )
    return _figures(DWELL, conn.execute(query))


def transit_times(
    conn: Connection, day_from: str | date, day_to: str | date
) -> list[DurationFigure]:
    """Transit from each post to the next one a vehicle was recorded at, per day of leaving,
    direction and vehicle class (days inclusive)."""
    first, last = _days(day_from, day_to)
    visits = _visits(conn, first, last)
    window = {"partition_by": visits.c.vehicle, "order_by": visits.c.visit}
    pairs = select(
        visits.c.left_day.label("day"),
        visits.c.post,
        visits.c.direction,
        visits.c.vehicle_class,
        visits.c.vehicle,
        visits.c.left_t,
        func.lead(visits.c.post).over(**window).label("to_post"),
        func.lead(visits.c.direction).over(**window).label("to_direction"),
        func.lead(visits.c.first_t).over(**window).label("reached_t"),
    ).subquery("pairs")
    seconds = pairs.c.reached_t - pairs.c.left_t
    query = (
        select(
            pairs.c.day,
            pairs.c.post,
            pairs.c.to_post,
            pairs.c.direction,
            pairs.c.vehicle_class,
            pairs.c.vehicle,
            seconds.label("seconds"),
        )
        .where(
            pairs.c.left_t.is_not(None),
            pairs.c.to_post != pairs.c.post,
            pairs.c.to_direction == pairs.c.direction,
            pairs.c.day.between(first.isoformat(), last.isoformat()),
            seconds <= MAX_SECONDS,
        )
        .order_by("day", "post", "to_post", "direction", "vehicle_class", "seconds")
    )
    return _figures(TRANSIT, conn.execute(query))


def public_figures(
    figures: Iterable[DurationFigure], min_vehicles: int = MIN_VEHICLES
) -> list[DurationFigure]:
    """The figures as the public may see them: values from fewer than ``min_vehicles``
    vehicles are withheld (None) and the note says so; the counts stay."""
    note = f"withheld: fewer than {min_vehicles} vehicles"
    return [
        f if f.vehicles >= min_vehicles else replace(f, median_s=None, p90_s=None, note=note)
        for f in figures
    ]


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, interpolating linearly between the two
    nearest ranks (PostgreSQL's ``percentile_cont``, numpy's default)."""
    if not ordered:
        raise ValueError("percentile of no values")
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


# -- the query ----------------------------------------------------------------------------------

_GROUP_ORDER = ("day", "post", "direction", "vehicle_class")
_ARRIVED = PassageKind.ARRIVED.value
_PASSED = PassageKind.PASSED.value


def _days(day_from: str | date, day_to: str | date) -> tuple[date, date]:
    first = _day(day_from, "day_from")
    last = _day(day_to, "day_to")
    if last < first:
        raise ValidationError("day_to", f"{last} comes before day_from {first}")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError("day_to", f"at most {MAX_DAYS} days at once, from {first}")
    return first, last


def _day(value: str | date, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(name, f"expected a day like 2020-12-01, got {value!r}") from None


def _epoch(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[int]:
    """Seconds since 1970 of a time in the log's text form, computed by the database."""
    if conn.dialect.name == "postgresql":
        moment = cast(column, TIMESTAMP(timezone=True))
        return cast(func.extract("epoch", moment), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def _visits(conn: Connection, first: date, last: date) -> Any:
    """One row per visit (see the module docstring) of the events from ``first`` to a day past
    ``last``, so that a dwell or trip that starts on ``last`` is seen to its end."""
    p = passages.c
    order = (p.observed_at, p.log_index)
    events = (
        select(
            p.vehicle,
            p.post,
            p.direction,
            p.vehicle_class,
            p.kind,
            p.day,
            _epoch(conn, p.observed_at).label("t"),
            p.observed_at,
            p.log_index,
            func.lag(p.post).over(partition_by=p.vehicle, order_by=order).label("prev_post"),
            func.lag(p.direction).over(partition_by=p.vehicle, order_by=order).label("prev_dir"),
        )
        .where(p.day.between(first.isoformat(), (last + timedelta(days=1)).isoformat()))
        .subquery("events")
    )
    e = events.c
    opens = case(
        (
            or_(
                e.prev_post.is_(None),
                e.prev_post != e.post,
                e.prev_dir != e.direction,
                e.kind == _ARRIVED,
            ),
            1,
        ),
        else_=0,
    )
    marked = select(
        e.vehicle,
        e.post,
        e.direction,
        e.vehicle_class,
        e.kind,
        e.day,
        e.t,
        func.sum(opens)
        .over(partition_by=e.vehicle, order_by=(e.observed_at, e.log_index), rows=(None, 0))
        .label("visit"),
    ).subquery("marked")
    m = marked.c
    passed = m.kind == _PASSED
    return (
        select(
            m.vehicle,
            m.visit,
            func.min(m.post).label("post"),
            func.min(m.direction).label("direction"),
            func.min(m.vehicle_class).label("vehicle_class"),
            func.min(m.day).label("day"),
            func.min(m.t).label("first_t"),
            func.max(m.t).label("last_t"),
            func.max(case((m.kind == _ARRIVED, 1), else_=0)).label("arrived"),
            func.sum(case((m.kind != _ARRIVED, 1), else_=0)).label("decisions"),
            func.max(case((passed, m.t))).label("left_t"),
            func.max(case((passed, m.day))).label("left_day"),
        )
        .group_by(m.vehicle, m.visit)
        .subquery("visits")
    )


def _figures(measure: str, rows: Iterable[Any]) -> list[DurationFigure]:
    out = []
    for key, group in groupby(
        rows, key=lambda r: (r.day, r.post, r.to_post, r.direction, r.vehicle_class)
    ):
        members = list(group)
        values = [float(r.seconds) for r in members]  # sorted by the query
        day, post, to_post, direction, vehicle_class = key
        out.append(
            DurationFigure(
                measure=measure,
                day=day,
                post=post,
                to_post=to_post,
                direction=direction,
                vehicle_class=vehicle_class,
                vehicles=len({r.vehicle for r in members}),
                samples=len(values),
                median_s=percentile(values, 0.5),
                p90_s=percentile(values, 0.9),
            )
        )
    return out


#: Days a dwell and transit page shows when it is not told which.
DEFAULT_DAYS = 7


def transit_days(conn: Connection, query: Mapping[str, str]) -> tuple[str, str]:
    """The days (``from``, ``to``, YYYY-MM-DD) a request asks for; by default the last
    :data:`DEFAULT_DAYS` days that have passages. Checked as :func:`dwell_times` checks them."""
    newest = conn.execute(select(func.max(passages.c.day))).scalar()
    last = _day(query.get("to") or newest or date.today().isoformat(), "to")
    first = _day(query.get("from") or (last - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "from")
    _days(first, last)
    return first.isoformat(), last.isoformat()
