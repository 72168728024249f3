"""Rules for a scenario's incidents, convoys and crews (the parts monitoring is tested against).

Run by :func:`corridor.sim.scenario_checks.check_sections` on what passed structural validation.
Each incident kind names the fields it needs and the fields only it may carry, so a misplaced
field is reported where it stands rather than silently ignored. Incidents of one day have
different kinds and share no post, crew or convoy (and a disruption day has no other): a day's
alerts then each have one cause, which is what lets a test check every alert against its
incident.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from shapely.geometry import Polygon

from corridor.model.corridor import PostKind
from corridor.sim.hours import CREW_WINDOW_GRACE, DEFAULT_AT, in_quiet_hours
from corridor.sim.incident_kinds import VARIANTS, IncidentKind, IncidentVariant
from corridor.sim.scenario_schema import CrewIn, IncidentIn, PostIn, Sections
from corridor.sim.scenario_yaml import Loc, Problem

# Which optional incident fields each kind (and variant) needs; fields only some kinds may carry;
# fields a variant may not carry although its kind may.
_Variant = IncidentVariant | None
_NEEDS: dict[tuple[IncidentKind, _Variant], tuple[str, ...]] = {
    (IncidentKind.DISRUPTION, None): ("flow_factor",),
    (IncidentKind.LEAVES_BAND, None): ("offset_m",),
    (IncidentKind.OVERDUE, None): ("post", "minutes"),
    (IncidentKind.LONG_STOP, None): ("minutes",),
    (IncidentKind.UNREGISTERED_VEHICLE, None): ("post",),
    (IncidentKind.SILENT_POST, None): ("post", "minutes", "at"),
    (IncidentKind.CREW_ZONE, IncidentVariant.LEAVES_ZONE): ("crew", "minutes", "offset_m"),
    (IncidentKind.CREW_ZONE, IncidentVariant.OUTSIDE_WINDOW): ("crew", "minutes"),
    (IncidentKind.ENTERS_CREW_ZONE, None): ("crew",),
    (IncidentKind.CONVOY, IncidentVariant.FALLS_BEHIND): ("convoy", "minutes"),
    (IncidentKind.CONVOY, IncidentVariant.OUT_OF_ORDER): ("convoy",),
    (IncidentKind.UNKNOWN_DEVICE, None): ("minutes",),
}
_ONLY_FOR: dict[str, tuple[IncidentKind, ...]] = {
    "flow_factor": (IncidentKind.DISRUPTION,),
    "offset_m": (IncidentKind.LEAVES_BAND, IncidentKind.CREW_ZONE),
    "crew": (IncidentKind.CREW_ZONE, IncidentKind.ENTERS_CREW_ZONE),
    "convoy": (IncidentKind.CONVOY,),
    "days": (IncidentKind.DISRUPTION,),
    "variant": tuple(VARIANTS),
}
_TAKES_NO: dict[tuple[IncidentKind, _Variant], tuple[str, ...]] = {
    # the crew works on from its window's end: no time of day, no distance
    (IncidentKind.CREW_ZONE, IncidentVariant.OUTSIDE_WINDOW): ("at", "offset_m"),
    # the overtaking bus is half a headway ahead: nothing to choose
    (IncidentKind.CONVOY, IncidentVariant.OUT_OF_ORDER): ("minutes",),
    # the vehicle drives into the zone and out again: its length is the drive's
    (IncidentKind.ENTERS_CREW_ZONE, None): ("minutes",),
}
_NEEDS_CHECKPOINT = (IncidentKind.OVERDUE, IncidentKind.UNREGISTERED_VEHICLE)
#: The vehicle entering a crew zone must set off this long before the crew stops work.
ENTRY_LEAD = timedelta(hours=1)


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
    """Every incident's own rules, then the day rule: incidents of one day have different kinds
    and subjects (a disruption day has no other), so each alert has one cause."""
    on_day: dict[int, list[tuple[int, IncidentIn]]] = {}
    for index, incident in s.incidents:
        _check_incident(index, incident, s, mandate, posts, out)
        for day in range(incident.day, incident.day + max(incident.days, 1)):
            clash = next((j for j, o in on_day.get(day, []) if _clash(incident, o)), None)
            if clash is not None:
                message = (
                    f"day {day} already has incidents[{clash}]: a day's incidents need "
                    "different kinds and subjects (a disruption day no other), so each alert "
                    "has one cause"
                )
                out.append(Problem(("incidents", index, "day"), message))
                break
            on_day.setdefault(day, []).append((index, incident))


def _clash(a: IncidentIn, b: IncidentIn) -> bool:
    """Whether two incidents cannot share a day: same kind, or a post, crew or convoy in common."""
    if a.kind is b.kind or IncidentKind.DISRUPTION in (a.kind, b.kind):
        return True
    return bool(_subjects(a) & _subjects(b))


def _subjects(incident: IncidentIn) -> set[str]:
    named = {"post": incident.post, "crew": incident.crew, "convoy": incident.convoy}
    return {f"{field}:{value}" for field, value in named.items() if value is not None}


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
    variant = _variant(loc, incident, out)
    what = f"{incident.kind} {variant}" if variant else str(incident.kind)
    what = ("an " if what[0] in "aeiou" else "a ") + what
    for name in _NEEDS.get((incident.kind, variant), ()):
        if name not in given:
            out.append(Problem(loc, f"{what} incident needs {name!r}"))
    for name, kinds in _ONLY_FOR.items():
        if name in given and incident.kind not in kinds:
            allowed = " and ".join(str(k) for k in kinds)
            out.append(Problem((*loc, name), f"only {allowed} incidents take {name!r}"))
    for name in _TAKES_NO.get((incident.kind, variant), ()):
        if name in given:
            out.append(Problem((*loc, name), f"{what} incident takes no {name!r}"))
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
    crews = {c.id: c for _, c in s.crews}
    if incident.crew is not None and incident.crew not in crews:
        known = ", ".join(crews) or "none"
        out.append(Problem((*loc, "crew"), f"unknown crew {incident.crew!r} (crews: {known})"))
    elif incident.crew is not None:
        _check_crew_times(loc, incident, variant, crews[incident.crew], out)
    if incident.convoy is not None and incident.convoy not in {c.id for _, c in s.convoys}:
        known = ", ".join(c.id for _, c in s.convoys) or "none"
        message = f"unknown convoy {incident.convoy!r} (convoys: {known})"
        out.append(Problem((*loc, "convoy"), message))
    start = s.traffic.get("start_date")
    if start is not None and mandate is not None and incident.day >= 0:
        day = start + timedelta(days=incident.day)
        if day >= mandate.end:
            out.append(Problem((*loc, "day"), f"falls on {day}, after the mandate ends"))


def _variant(loc: Loc, incident: IncidentIn, out: list[Problem]) -> IncidentVariant | None:
    """The incident's variant (its kind's default if none is given); a wrong one is reported,
    and is None."""
    variants = VARIANTS.get(incident.kind)
    if not variants:
        return None  # a variant on a kind without any is reported with the other fields
    if incident.variant is None:
        return variants[0]
    if incident.variant not in {str(v) for v in variants}:
        names = ", ".join(str(v) for v in variants)
        message = f"a {incident.kind} incident is one of: {names} (got {incident.variant!r})"
        out.append(Problem((*loc, "variant"), message))
        return None  # the fields it needs depend on the variant: nothing more to say
    return IncidentVariant(incident.variant)


def _check_crew_times(
    loc: Loc,
    incident: IncidentIn,
    variant: IncidentVariant | None,
    crew: CrewIn,
    out: list[Problem],
) -> None:
    """An overtime must outlast HQ's grace within the day; an entering vehicle must find the
    crew at work."""
    start, end = (datetime.combine(date.min, t) for t in crew.window)
    window = f"{crew.window[0]:%H:%M} to {crew.window[1]:%H:%M}"
    if variant is IncidentVariant.OUTSIDE_WINDOW and incident.minutes is not None:
        grace = int(CREW_WINDOW_GRACE.total_seconds() // 60)
        if incident.minutes < 2 * grace:
            message = f"must be at least {2 * grace}: HQ allows a crew {grace} minutes' grace"
            out.append(Problem((*loc, "minutes"), message))
        elif end + timedelta(minutes=incident.minutes) > datetime.combine(date.min, time(23, 59)):
            message = f"crew {crew.id} works {window}: the overtime runs past midnight"
            out.append(Problem((*loc, "minutes"), message))
    if incident.kind is IncidentKind.ENTERS_CREW_ZONE:
        at = datetime.combine(date.min, incident.at or DEFAULT_AT)
        if not start <= at <= end - ENTRY_LEAD:
            message = (
                f"crew {crew.id} works {window}: the vehicle must set off in that window, "
                f"{ENTRY_LEAD.total_seconds() / 3600:g} h before its end at the latest"
            )
            out.append(Problem((*loc, "at"), message))


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
