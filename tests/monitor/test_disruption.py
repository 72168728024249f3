"""disruption: flow far below the same hours of recent days, for hours on end."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.errors import ValidationError
from corridor.model.vocabulary import Direction
from corridor.monitor import AlertChange, ChangeKind, DisruptionConfig, DisruptionRule, Severity
from corridor.monitor.disruption import poisson_cdf
from tests.monitor.factories import T0, passage

DAY0 = T0.replace(hour=0)


def traffic(
    rule: DisruptionRule, per_hour: Callable[[int, int], int], days: int
) -> list[AlertChange]:
    """Passages inbound (trucks) for ``days`` days, ``per_hour(day, hour)`` an hour spread over
    the hour, and a tick at a quarter past every hour, as HQ would run it."""
    changes: list[AlertChange] = []
    for day in range(days):
        for hour in range(24):
            start = DAY0 + timedelta(days=day, hours=hour)
            count = per_hour(day, hour)
            for n in range(count):
                at = start + timedelta(seconds=3600 * n // count)
                changes += rule.on_passage(passage("P01", at, vehicle=f"v{day}-{hour}-{n}"))
            changes += rule.tick(start + timedelta(minutes=15))
    return changes


def daytime(count: int) -> Callable[[int, int], int]:
    """``count`` passages an hour from 02:00 to 16:00 UTC, none at night (the normal shape)."""
    return lambda day, hour: count if 2 <= hour < 16 else 0


def test_normal_days_and_their_nights_raise_nothing() -> None:
    assert traffic(DisruptionRule(start=DAY0), daytime(10), 8) == []


def test_a_blockade_opens_updates_and_closes_with_its_figures() -> None:
    normal = daytime(10)

    def blockade(day: int, hour: int) -> int:
        if day == 5 and hour >= 6:
            return 1 if hour < 16 else 0  # a trickle: one vehicle an hour gets through
        return normal(day, hour)

    changes = traffic(DisruptionRule(start=DAY0), blockade, 8)
    keys = {c.alert.key for c in changes}
    assert keys == {"disruption:inbound:truck", "disruption:inbound:all"}
    total = [c for c in changes if c.alert.key == "disruption:inbound:all"]
    kinds = [c.change for c in total]
    assert kinds[0] is ChangeKind.OPENED and kinds[-1] is ChangeKind.CLOSED
    assert set(kinds[1:-1]) == {ChangeKind.UPDATED}
    opened, closed = total[0].alert, total[-1].alert
    assert opened.opened_at == DAY0 + timedelta(days=5, hours=6)
    assert opened.severity is Severity.CRITICAL and opened.subject == "inbound/all"
    assert closed.closed_at == DAY0 + timedelta(days=6, hours=2)
    assert closed.figures["expected"] == 100.0 and closed.figures["observed"] == 10
    assert closed.figures["flow_ratio"] == 0.1
    assert len(closed.evidence) == 10  # the passages that still got through
    # No update in the night, when there is no traffic to judge by.
    night = (DAY0 + timedelta(days=5, hours=19), DAY0 + timedelta(days=6, hours=2))
    assert not [c for c in total if night[0] < c.at < night[1]]


def test_a_two_day_blockade_keeps_its_baseline() -> None:
    normal = daytime(10)
    changes = traffic(
        DisruptionRule(start=DAY0), lambda d, h: 0 if d in (5, 6) else normal(d, h), 9
    )
    total = [c for c in changes if c.alert.key == "disruption:inbound:all"]
    assert [c.change for c in total if c.change is not ChangeKind.UPDATED] == [
        ChangeKind.OPENED,
        ChangeKind.CLOSED,
    ]
    closed = total[-1].alert
    assert closed.opened_at == DAY0 + timedelta(days=5, hours=2)
    assert closed.closed_at == DAY0 + timedelta(days=7, hours=2)
    assert (
        closed.figures["expected"] == 280.0
    )  # 2 x 14 hours x 10: day 5 stays out of day 6's baseline


def test_no_judgement_before_there_is_a_baseline() -> None:
    normal = daytime(10)
    changes = traffic(DisruptionRule(start=DAY0), lambda d, h: 0 if d == 2 else normal(d, h), 4)
    assert changes == []


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0.6, 1.5), min_size=10, max_size=10))
def test_day_to_day_variation_never_looks_like_a_blockade(factors: list[float]) -> None:
    changes = traffic(
        DisruptionRule(start=DAY0),
        lambda day, hour: round(10 * factors[day]) if 2 <= hour < 16 else 0,
        10,
    )
    assert changes == []


def test_only_entry_posts_count_when_set() -> None:
    config = DisruptionConfig(entry_posts={Direction.INBOUND: "P04", Direction.OUTBOUND: "P01"})
    rule = DisruptionRule(config, start=DAY0)
    rule.on_passage(passage("P01", DAY0 + timedelta(hours=3)))
    assert rule._series[(Direction.INBOUND, "all")].counts == {}


def test_poisson_tail() -> None:
    assert poisson_cdf(0, 2.0) == pytest.approx(math.exp(-2))
    assert poisson_cdf(2, 2.0) == pytest.approx(5 * math.exp(-2))
    assert 0 < poisson_cdf(10, 1000.0) < 1e-300 or poisson_cdf(10, 1000.0) == 0.0
    assert poisson_cdf(-1, 3.0) == 0.0 and poisson_cdf(3, 0.0) == 1.0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="recover_ratio: must be above drop_ratio"):
        DisruptionConfig(drop_ratio=0.5, recover_ratio=0.4)
    with pytest.raises(ValidationError, match="min_baseline_days: cannot exceed baseline_days"):
        DisruptionConfig(baseline_days=2, min_baseline_days=3)
    with pytest.raises(ValidationError, match="drop_ratio: must lie in"):
        DisruptionConfig(drop_ratio=0.0)
