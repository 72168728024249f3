"""``convoy``: a planned convoy whose members pass a post too far apart, or out of order.

A plan names the members in order, the planned departure and the posts of its route. At each
post of the route the rule records when each member passed (``passed``, or ``arrived`` at the
exit) and checks, as each one comes by:

* order: a member recorded before one planned ahead of it (or after one planned behind it);
* gaps: more than ``max_gap`` between a member and the one recorded just before or after it;
* stragglers: ``max_gap`` after the last member seen, members still missing (a deadline, so it
  fires even if they never come);
* outsiders: a vehicle that carries the convoy's id but is not in the plan.

Passages more than ``early`` before the planned departure belong to another trip of the member
(vehicles in a regular convoy make the same trip every day) and are not the convoy's.

One alert per convoy and post (``convoy:<convoy>:<post>``), updated as problems add up; it
closes when the last member has passed the post. A plan and its state are dropped
``expire_after`` its planned departure, closing what is still open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from corridor.errors import ValidationError
from corridor.model.vocabulary import PassageKind
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Figure,
    Severity,
    SubjectKind,
    minutes,
    require_utc,
)
from corridor.monitor.config import ConvoyConfig
from corridor.monitor.observations import PassageObservation
from corridor.monitor.state import Deadlines

_COUNTED = frozenset({PassageKind.PASSED, PassageKind.ARRIVED})


@dataclass(frozen=True, slots=True)
class ConvoyPlan:
    """A convoy as planned: ``members`` (vehicle pseudonyms) in order along ``route`` (posts)."""

    convoy_id: str
    members: tuple[str, ...]
    planned_departure: datetime
    route: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "planned_departure", require_utc("planned_departure", self.planned_departure)
        )
        if len(self.members) < 2:
            raise ValidationError("members", "a convoy has at least two members")
        if len(set(self.members)) != len(self.members):
            raise ValidationError("members", f"convoy {self.convoy_id!r} lists a vehicle twice")
        if not self.route or len(set(self.route)) != len(self.route):
            raise ValidationError("route", "a convoy's route lists each post once, at least one")


@dataclass(slots=True)
class _AtPost:
    """What one post has seen of one convoy so far (mutable)."""

    times: dict[int, datetime] = field(default_factory=dict)
    out_of_order: int = 0
    max_gap_min: float = 0.0
    outsiders: int = 0


class ConvoyRule:
    """Checks every member passage at the posts of each plan's route."""

    kinds = (AlertKind.CONVOY,)

    def __init__(self, config: ConvoyConfig | None = None, plans: Iterable[ConvoyPlan] = ()):
        self.config = config or ConvoyConfig()
        self.alerts = AlertTable()
        self._plans: dict[str, ConvoyPlan] = {}
        self._order: dict[str, dict[str, int]] = {}  # convoy -> vehicle -> position
        self._member_of: dict[str, set[str]] = {}  # vehicle -> convoys
        self._posts: dict[tuple[str, str], _AtPost] = {}
        self._stragglers: Deadlines[tuple[str, str]] = Deadlines()
        self._expiry: Deadlines[str] = Deadlines()
        for plan in plans:
            self.add_plan(plan)

    def add_plan(self, plan: ConvoyPlan) -> list[AlertChange]:
        """Start watching a convoy; a plan with the same id is replaced (its alerts closed)."""
        changes = self._drop(plan.convoy_id, plan.planned_departure)
        self._plans[plan.convoy_id] = plan
        self._order[plan.convoy_id] = {v: n for n, v in enumerate(plan.members)}
        for vehicle in plan.members:
            self._member_of.setdefault(vehicle, set()).add(plan.convoy_id)
        self._expiry.set(plan.convoy_id, plan.planned_departure + self.config.expire_after)
        return changes

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        if obs.kind not in _COUNTED:
            return []
        convoys = set(self._member_of.get(obs.vehicle, ()))
        if obs.convoy is not None and obs.convoy in self._plans:
            convoys.add(obs.convoy)
        changes: list[AlertChange] = []
        for convoy in sorted(convoys):
            plan = self._plans[convoy]
            if obs.observed_at < plan.planned_departure - self.config.early:
                continue  # the member on another trip, before this convoy set off
            if obs.post_id in plan.route:
                changes += self._record(plan, obs)
        return changes

    def _record(self, plan: ConvoyPlan, obs: PassageObservation) -> list[AlertChange]:
        slot = (plan.convoy_id, obs.post_id)
        state = self._posts.setdefault(slot, _AtPost())
        position = self._order[plan.convoy_id].get(obs.vehicle)
        problems: list[str] = []
        if position is None:
            state.outsiders += 1
            problems.append(f"vehicle {obs.vehicle} carries the convoy's id but is not in its plan")
        elif position in state.times:
            return []  # the same member recorded twice at this post
        else:
            at = obs.observed_at
            wrong = [
                n
                for n, t in state.times.items()
                if (n < position and t > at) or (n > position and t < at)
            ]
            if wrong:
                state.out_of_order += 1
                ahead = ", ".join(plan.members[n] for n in sorted(wrong))
                problems.append(f"{obs.vehicle} passed out of its planned order (against {ahead})")
            gap = self._widest_gap(state, at)
            state.times[position] = at
            if gap is not None and gap > minutes(self.config.max_gap):
                state.max_gap_min = max(state.max_gap_min, gap)
                problems.append(f"{gap:.0f} min between members")
            if len(state.times) < len(plan.members):
                self._stragglers.set(slot, max(state.times.values()) + self.config.max_gap)
        change = self._report(plan, obs.post_id, state, problems, obs.observed_at, obs.event_id)
        changes = [change] if change is not None else []
        if len(state.times) == len(plan.members):
            self._stragglers.cancel(slot)
            key = self._key(slot)
            if key in self.alerts:
                last = max(state.times.values())
                changes.append(self.alerts.close(key, last, figures=self._figures(plan, state)))
        return changes

    @staticmethod
    def _widest_gap(state: _AtPost, at: datetime) -> float | None:
        """Minutes to the nearest recorded member before and after ``at``, the wider one."""
        before = [t for t in state.times.values() if t <= at]
        after = [t for t in state.times.values() if t > at]
        gaps = ([minutes(at - max(before))] if before else []) + (
            [minutes(min(after) - at)] if after else []
        )
        return max(gaps) if gaps else None

    def _key(self, slot: tuple[str, str]) -> str:
        return f"{AlertKind.CONVOY}:{slot[0]}:{slot[1]}"

    def _figures(self, plan: ConvoyPlan, state: _AtPost) -> dict[str, Figure]:
        missing = [m for n, m in enumerate(plan.members) if n not in state.times]
        return {
            "members_seen": len(state.times),
            "members_total": len(plan.members),
            "out_of_order": state.out_of_order,
            "max_gap_min": state.max_gap_min,
            "outsiders": state.outsiders,
            "missing": ",".join(missing),
        }

    def _report(
        self,
        plan: ConvoyPlan,
        post: str,
        state: _AtPost,
        problems: list[str],
        at: datetime,
        evidence: str | None,
    ) -> AlertChange | None:
        if not problems:
            return None
        key = self._key((plan.convoy_id, post))
        summary = f"Convoy {plan.convoy_id} at {post}: {'; '.join(problems)}."
        ids = [evidence] if evidence else []
        if key in self.alerts:
            figures = self._figures(plan, state)
            return self.alerts.update(key, at, summary=summary, evidence=ids, figures=figures)
        alert = Alert(
            kind=AlertKind.CONVOY,
            key=key,
            severity=Severity.WARNING,
            subject=plan.convoy_id,
            subject_kind=SubjectKind.CONVOY,
            opened_at=at,
            summary=summary,
            evidence=tuple(ids),
            figures=self._figures(plan, state),
        )
        return self.alerts.open(alert)

    def tick(self, now: datetime) -> list[AlertChange]:
        """Report stragglers whose time is up, and drop plans past ``expire_after``."""
        changes: list[AlertChange] = []
        for slot, due in self._stragglers.pop_due(now):
            plan = self._plans.get(slot[0])
            state = self._posts.get(slot)
            if plan is None or state is None:
                continue
            missing = [m for n, m in enumerate(plan.members) if n not in state.times]
            problem = f"{', '.join(missing)} not seen within {minutes(self.config.max_gap):.0f} min"
            change = self._report(plan, slot[1], state, [problem], due, None)
            if change is not None:
                changes.append(change)
        for convoy, due in self._expiry.pop_due(now):
            changes.extend(self._drop(convoy, due))
        return changes

    def _drop(self, convoy: str, at: datetime) -> list[AlertChange]:
        plan = self._plans.pop(convoy, None)
        if plan is None:
            return []
        self._order.pop(convoy, None)
        self._expiry.cancel(convoy)
        for vehicle in plan.members:
            convoys = self._member_of.get(vehicle)
            if convoys is not None:
                convoys.discard(convoy)
                if not convoys:
                    del self._member_of[vehicle]
        changes = []
        for post in plan.route:
            slot = (convoy, post)
            state = self._posts.pop(slot, None)
            self._stragglers.cancel(slot)
            key = self._key(slot)
            if state is not None and key in self.alerts:
                figures = self._figures(plan, state)
                changes.append(self.alerts.close(key, at, figures=figures))
        return changes
