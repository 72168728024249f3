"""silent_post: active checkpoints that stop talking."""

from __future__ import annotations

from datetime import timedelta

import pytest

from corridor.errors import ValidationError
from corridor.model.corridor import Corridor
from corridor.monitor import AlertKind, ChangeKind, Severity, SilenceConfig, SilentPostRule
from tests.monitor.factories import T0, passage


def test_a_post_silent_past_the_setting_opens_escalates_and_closes(straight: Corridor) -> None:
    rule = SilentPostRule(straight, frozenset({"P01", "P04"}))
    rule.on_sync("P01", T0)
    rule.on_passage(passage("P04", T0 + timedelta(minutes=50)))
    assert rule.tick(T0 + timedelta(minutes=59)) == []
    opened = rule.tick(T0 + timedelta(hours=1, minutes=30))
    assert [(c.change, c.alert.subject) for c in opened] == [(ChangeKind.OPENED, "P01")]
    alert = opened[0].alert
    assert alert.kind is AlertKind.SILENT_POST and alert.opened_at == T0 + timedelta(hours=1)
    assert alert.figures["last_heard"] == "2021-01-10T06:00:00Z"
    rule.on_sync("P04", T0 + timedelta(hours=6, minutes=40))
    escalated = rule.tick(T0 + timedelta(hours=7))
    assert [(c.change, c.alert.subject) for c in escalated] == [(ChangeKind.UPDATED, "P01")]
    assert escalated[0].alert.severity is Severity.CRITICAL
    assert escalated[0].alert.updated_at == T0 + timedelta(hours=6)
    back = rule.on_sync("P01", T0 + timedelta(hours=8))
    assert back[0].change is ChangeKind.CLOSED
    assert back[0].alert.closed_at == T0 + timedelta(hours=8)
    assert back[0].alert.figures["silent_min"] == 480.0


def test_posts_never_heard_get_the_delay_from_the_start(straight: Corridor) -> None:
    rule = SilentPostRule(straight, frozenset({"P01"}), start=T0)
    opened = rule.tick(T0 + timedelta(hours=2))
    assert opened[0].alert.opened_at == T0 + timedelta(hours=1)
    assert opened[0].alert.figures["last_heard"] == "never"


def test_inactive_posts_and_old_news_change_nothing(straight: Corridor) -> None:
    rule = SilentPostRule(straight, frozenset({"P01"}))
    rule.on_sync("P01", T0)
    assert rule.on_sync("P03", T0 + timedelta(hours=5)) == []
    rule.on_sync("P01", T0 - timedelta(hours=1))
    assert rule.last_heard("P01") == T0


def test_a_post_that_talks_all_day_keeps_one_deadline(straight: Corridor) -> None:
    rule = SilentPostRule(straight, frozenset({"P01"}))
    for n in range(24 * 60):
        rule.on_sync("P01", T0 + timedelta(minutes=n))
        if n % 30 == 0:
            assert rule.tick(T0 + timedelta(minutes=n)) == []
    assert len(rule._due) == 1 and len(rule._due._heap) <= 2


def test_escalation_must_come_after_silence() -> None:
    with pytest.raises(ValidationError, match="escalate_after: must be longer than silent_after"):
        SilenceConfig(silent_after=timedelta(hours=2), escalate_after=timedelta(hours=1))
