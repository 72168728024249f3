"""Rules for a scenario's incidents, convoys and crews (the parts monitoring is tested against).

Run by :func:`corridor.sim.scenario_checks.check_sections` on what passed structural validation.
Each incident kind names the fields it needs and the fields only it may carry, so a misplaced
field is reported where it stands rather than silently ignored. One incident a day at most: a
day's alerts then have one cause, which is what lets a test check every alert against its
incident.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from shapely.geometry import Polygon

from corridor.model.corridor import PostKind
from corridor.sim.hours import in_quiet_hours
from corridor.sim.scenario_schema import IncidentIn, IncidentKind, PostIn, Sections
from corridor.sim.scenario_yaml import Loc, Problem

# Which optional incident fields each kind needs; fields only some kinds may carry.
_NEEDS: dict[IncidentKind, tuple[str, ...]] = {
    IncidentKind.DISRUPTION: ("flow_factor",),
    IncidentKind.LEAVES_BAND: ("offset_m",),
    IncidentKind.OVERDUE: ("post", "minutes"),
    IncidentKind.LONG_STOP: ("minutes",),
    IncidentKind.UNREGISTERED_VEHICLE: ("post",),
    IncidentKind.SILENT_POST: ("post", "minutes", "at"),
    IncidentKind.CREW_ZONE: ("crew", "minutes", "offset_m"),
    IncidentKind.CONVOY: ("convoy", "minutes"),
    IncidentKind.UNKNOWN_DEVICE: ("minutes",),
}
_ONLY_FOR: dict[str, tuple[IncidentKind, ...]] = {
    "flow_factor": (IncidentKind.DISRUPTION,),
    "offset_m": (IncidentKind.LEAVES_BAND, IncidentKind.CREW_ZONE),
    "crew": (IncidentKind.CREW_ZONE,),
    "convoy": (IncidentKind.CONVOY,),
    "days": (IncidentKind.DISRUPTION,),
}
_NEEDS_CHECKPOINT = (IncidentKind.OVERDUE, IncidentKind.UNREGISTERED_VEHICLE)


class Mandate:
    """The mandate dates, when both are valid and in order."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end

    def covers(self, day: date) -> bool:
        return self.start <= day < self.end

    def outside(self, day: date) -> str:
        return f"{day} is outside the mandate ({self.start} to {self.end})"


def check_post_ref(
    post_id: str,
    loc: Loc,
    known_ids: frozenset[str],
    posts: dict[str, PostIn],
    out: list[Problem],
    *,
    checkpoint: bool,
) -> None:
    if post_id not in known_ids:
        known = ", ".join(sorted(known_ids)) or "none"
        out.append(Problem(loc, f"unknown post {post_id!r} (posts: {known})"))
        return
    post = posts.get(post_id)
    if checkpoint and post is not None and post.kind is not PostKind.CHECKPOINT:
        out.append(Problem(loc, f"post {post_id!r} is an observation post, not a checkpoint"))


def check_incidents(
    s: Sections, mandate: Mandate | None, posts: dict[str, PostIn], out: list[Problem]
) -> None:
    """Every incident's own rules, then one incident a day at most."""
    first_on: dict[int, int] = {}
    for index, incident in s.incidents:
        _check_incident(index, incident, s, mandate, posts, out)
        for day in range(incident.day, incident.day + max(incident.days, 1)):
            if day in first_on:
                message = (
                    f"day {day} already has incidents[{first_on[day]}]: one incident a day, "
                    "so each alert has one cause"
                )
                out.append(Problem(("incidents", index, "day"), message))
                break
            first_on[day] = index


def _check_incident(
    i: int,
    incident: IncidentIn,
    s: Sections,
    mandate: Mandate | None,
    posts: dict[str, PostIn],
    out: list[Problem],
) -> None:
    loc: Loc = ("incidents", i)
    given = incident.model_fields_set
    for name in _NEEDS[incident.kind]:
        if name not in given:
            out.append(Problem(loc, f"a {incident.kind} incident needs {name!r}"))
    for name, kinds in _ONLY_FOR.items():
        if name in given and incident.kind not in kinds:
            allowed = " and ".join(str(k) for k in kinds)
            out.append(Problem((*loc, name), f"only {allowed} incidents take {name!r}"))
    if incident.day < 0:
        out.append(Problem((*loc, "day"), "must not be negative (0 is the first day)"))
    if incident.days < 1:
        out.append(Problem((*loc, "days"), "must be at least 1"))
    if not 0.0 <= incident.flow_factor <= 1.0:
        out.append(Problem((*loc, "flow_factor"), "is a fraction of normal flow: [0, 1]"))
    if incident.minutes is not None and incident.minutes <= 0:
        out.append(Problem((*loc, "minutes"), "must be positive"))
    _check_offset(loc, incident, s, out)
    if incident.post is not None:
        checkpoint = incident.kind in _NEEDS_CHECKPOINT or incident.kind is IncidentKind.SILENT_POST
        check_post_ref(
            incident.post, (*loc, "post"), s.raw_post_ids, posts, out, checkpoint=checkpoint
        )
    if incident.kind is IncidentKind.SILENT_POST:
        _check_silence(loc, incident, s, out)
    if incident.crew is not None and incident.crew not in {c.id for _, c in s.crews}:
        known = ", ".join(c.id for _, c in s.crews) or "none"
        out.append(Problem((*loc, "crew"), f"unknown crew {incident.crew!r} (crews: {known})"))
    if incident.convoy is not None and incident.convoy not in {c.id for _, c in s.convoys}:
        known = ", ".join(c.id for _, c in s.convoys) or "none"
        message = f"unknown convoy {incident.convoy!r} (convoys: {known})"
        out.append(Problem((*loc, "convoy"), message))
    start = s.traffic.get("start_date")
    if start is not None and mandate is not None and incident.day >= 0:
        day = start + timedelta(days=incident.day)
        if day >= mandate.end:
            out.append(Problem((*loc, "day"), f"falls on {day}, after the mandate ends"))


def _check_offset(loc: Loc, incident: IncidentIn, s: Sections, out: list[Problem]) -> None:
    if incident.offset_m is None:
        return
    width: Any = s.corridor.get("width_m")
    if incident.kind is IncidentKind.LEAVES_BAND:
        if width is not None and incident.offset_m <= width / 2:
            message = f"must exceed half the width ({width / 2:g} m), or the vehicle stays in"
            out.append(Problem((*loc, "offset_m"), message))
    elif incident.offset_m <= 0:
        out.append(Problem((*loc, "offset_m"), "must be positive (metres outside the zone)"))


def _check_silence(loc: Loc, incident: IncidentIn, s: Sections, out: list[Problem]) -> None:
    recording = {s.traffic.get("inbound_entry_post"), s.traffic.get("outbound_entry_post")}
    # Only once the entry posts themselves are sound: a bad one is reported where it stands.
    sound = recording <= s.raw_post_ids
    if sound and incident.post in s.raw_post_ids and incident.post not in recording:
        names = ", ".join(sorted(str(p) for p in recording))
        message = f"post {incident.post!r} records nothing in the simulation (recording: {names})"
        out.append(Problem((*loc, "post"), message))
    if incident.at is None or incident.minutes is None or incident.minutes <= 0:
        return
    since_midnight = datetime.combine(date.min, incident.at) - datetime.min
    if not in_quiet_hours(since_midnight, timedelta(minutes=incident.minutes)):
        message = (
            "the silence must fall in the quiet night (20:00 to 02:00 UTC), when no vehicle "
            "needs the post"
        )
        out.append(Problem((*loc, "at"), message))


def check_convoys(s: Sections, out: list[Problem]) -> None:
    seen: set[str] = set()
    for i, convoy in s.convoys:
        loc: Loc = ("convoys", i)
        if convoy.id in seen:
            out.append(Problem((*loc, "id"), f"duplicate convoy id {convoy.id!r}"))
        seen.add(convoy.id)
        if convoy.buses < 2:
            out.append(Problem((*loc, "buses"), "a convoy has at least two buses"))
        if convoy.headway_s <= 0:
            out.append(Problem((*loc, "headway_s"), "must be positive"))


def check_crews(s: Sections, out: list[Problem]) -> None:
    seen: set[str] = set()
    for i, crew in s.crews:
        loc: Loc = ("crews", i)
        if crew.id in seen:
            out.append(Problem((*loc, "id"), f"duplicate crew id {crew.id!r}"))
        seen.add(crew.id)
        if not crew.names or any(not n.strip() for n in crew.names):
            out.append(Problem((*loc, "names"), "give at least one name, and no empty names"))
        if len(crew.zone) < 3 or not Polygon(crew.zone).is_valid:
            out.append(
                Problem((*loc, "zone"), "must be a polygon: three points or more, no crossing")
            )
        if crew.window[1] <= crew.window[0]:
            out.append(Problem((*loc, "window"), "must end after it starts (UTC, within a day)"))
