"""convoy: members too far apart at a post, or out of order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.errors import ValidationError
from corridor.model.vocabulary import PassageKind
from corridor.monitor import AlertChange, AlertKind, ChangeKind, ConvoyPlan, ConvoyRule
from tests.monitor.factories import T0, passage

PLAN = ConvoyPlan("K1", ("b1", "b2", "b3"), T0, ("P01", "P04"))


def at_post(
    rule: ConvoyRule,
    post: str,
    minutes: dict[str, float],
    kind: PassageKind = PassageKind.PASSED,
) -> list[AlertChange]:
    changes: list[AlertChange] = []
    for vehicle, m in sorted(minutes.items(), key=lambda item: item[1]):
        at = T0 + timedelta(minutes=m)
        obs = passage(
            post, at, vehicle=vehicle, kind=kind, convoy="K1", event_id=f"{post}-{vehicle}"
        )
        changes += rule.on_passage(obs)
        changes += rule.tick(at)
    return changes


def test_a_convoy_that_keeps_together_raises_nothing() -> None:
    rule = ConvoyRule(plans=[PLAN])
    assert at_post(rule, "P01", {"b1": 0, "b2": 2, "b3": 4}) == []
    assert at_post(rule, "P04", {"b1": 90, "b2": 93, "b3": 95}, PassageKind.ARRIVED) == []
    assert rule.tick(T0 + timedelta(days=2)) == []


def test_a_straggler_opens_at_the_deadline_and_the_alert_closes_when_it_passes() -> None:
    rule = ConvoyRule(plans=[PLAN])
    changes = at_post(rule, "P01", {"b1": 0, "b2": 2})
    changes += rule.tick(T0 + timedelta(minutes=13))
    changes += at_post(rule, "P01", {"b3": 30})
    assert [c.change for c in changes] == [ChangeKind.OPENED, ChangeKind.UPDATED, ChangeKind.CLOSED]
    opened, closed = changes[0].alert, changes[-1].alert
    assert opened.kind is AlertKind.CONVOY and opened.key == "convoy:K1:P01"
    assert opened.subject == "K1" and opened.opened_at == T0 + timedelta(minutes=12)
    assert "b3 not seen within 10 min" in opened.summary
    assert closed.closed_at == T0 + timedelta(minutes=30)
    assert closed.figures["max_gap_min"] == 28.0 and closed.figures["members_seen"] == 3
    assert closed.evidence == ("P01-b3",)


def test_members_out_of_order_are_reported() -> None:
    rule = ConvoyRule(plans=[PLAN])
    changes = at_post(rule, "P01", {"b2": 0, "b1": 1, "b3": 2})
    assert changes[0].change is ChangeKind.OPENED
    assert "b1 passed out of its planned order (against b2)" in changes[0].alert.summary
    assert changes[-1].change is ChangeKind.CLOSED
    assert changes[-1].alert.figures["out_of_order"] == 1


def test_an_outsider_with_the_convoy_id_is_reported_and_other_trips_ignored() -> None:
    rule = ConvoyRule(plans=[PLAN])
    early = passage("P01", T0 - timedelta(hours=3), vehicle="b1", convoy=None)
    assert rule.on_passage(early) == []  # b1 on an earlier trip
    changes = rule.on_passage(passage("P01", T0, vehicle="x9", convoy="K1"))
    assert changes[0].alert.figures["outsiders"] == 1


def test_an_expired_plan_is_dropped_and_its_alerts_closed() -> None:
    rule = ConvoyRule(plans=[PLAN])
    at_post(rule, "P01", {"b1": 0})
    rule.tick(T0 + timedelta(minutes=15))
    closed = rule.tick(T0 + timedelta(hours=25))
    assert [c.change for c in closed] == [ChangeKind.CLOSED]
    assert closed[0].alert.figures["missing"] == "b2,b3"
    assert not rule._plans and not rule._posts and not rule._member_of


def test_plans_are_validated() -> None:
    with pytest.raises(ValidationError, match="members: a convoy has at least two members"):
        ConvoyPlan("K", ("b1",), T0, ("P01",))
    with pytest.raises(ValidationError, match="lists a vehicle twice"):
        ConvoyPlan("K", ("b1", "b1"), T0, ("P01",))
    with pytest.raises(ValidationError, match="route: a convoy's route lists each post once"):
        ConvoyPlan("K", ("b1", "b2"), T0, ())
