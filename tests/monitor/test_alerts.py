"""Alert values, the alert table, acknowledgement, and the shared state helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import ValidationError
from corridor.monitor import (
    Alert,
    AlertKind,
    AlertTable,
    ChangeKind,
    Severity,
    SubjectKind,
    acknowledge,
)
from corridor.monitor.alerts import MAX_EVIDENCE
from corridor.monitor.state import Deadlines, Decision, Hysteresis, Recency
from tests.monitor.factories import T0


def alert(key: str = "left_band:v1", **changes: object) -> Alert:
    base = Alert(
        kind=AlertKind.LEFT_BAND,
        key=key,
        severity=Severity.WARNING,
        subject="v1",
        subject_kind=SubjectKind.VEHICLE,
        opened_at=T0,
        summary="Vehicle v1 is 300 m outside the corridor band.",
        evidence=("f1",),
        figures={"excess_m": 300.0},
    )
    return Alert(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})


def test_acknowledge_records_who_and_when_and_keeps_the_rest() -> None:
    done = acknowledge(alert(), " coordinator-2 ", T0 + timedelta(minutes=3))
    assert done.acknowledged_by == "coordinator-2"
    assert done.acknowledged_at == T0 + timedelta(minutes=3)
    assert done.acknowledged and done.is_open
    assert done.summary == alert().summary


def test_acknowledge_refuses_no_name_naive_time_and_time_before_opening() -> None:
    with pytest.raises(ValidationError, match="acknowledged_by: name who"):
        acknowledge(alert(), "  ", T0)
    with pytest.raises(ValidationError, match="acknowledged_at: time must carry a time zone"):
        acknowledge(alert(), "hq", datetime(2021, 1, 10, 7, 0))
    with pytest.raises(ValidationError, match="before it opened"):
        acknowledge(alert(), "hq", T0 - timedelta(seconds=1))


def test_table_opens_updates_closes_and_forgets() -> None:
    table = AlertTable()
    opened = table.open(alert())
    assert opened.change is ChangeKind.OPENED and opened.at == T0
    later = T0 + timedelta(minutes=5)
    assert table.update("left_band:v1", later, evidence=["f1"]) is None  # nothing new
    updated = table.update("left_band:v1", later, evidence=["f2"], figures={"max_excess_m": 900.0})
    assert updated is not None and updated.change is ChangeKind.UPDATED and updated.at == later
    assert updated.alert.evidence == ("f1", "f2")
    assert updated.alert.figures == {"excess_m": 300.0, "max_excess_m": 900.0}
    closed = table.close("left_band:v1", later + timedelta(minutes=1), evidence=["f3"])
    assert closed.change is ChangeKind.CLOSED and not closed.alert.is_open
    assert closed.alert.evidence == ("f1", "f2", "f3")
    assert "left_band:v1" not in table and len(table) == 0


def test_table_never_closes_before_opening_and_refuses_a_second_open() -> None:
    table = AlertTable()
    table.open(alert())
    with pytest.raises(KeyError, match="already open"):
        table.open(alert())
    closed = table.close("left_band:v1", T0 - timedelta(hours=1))
    assert closed.alert.closed_at == T0


def test_evidence_is_capped() -> None:
    table = AlertTable()
    table.open(alert())
    change = table.update("left_band:v1", T0, evidence=[f"x{n}" for n in range(200)])
    assert change is not None and len(change.alert.evidence) == MAX_EVIDENCE


def test_acknowledgement_survives_later_updates() -> None:
    table = AlertTable()
    table.open(alert())
    table.acknowledge("left_band:v1", "hq", T0 + timedelta(minutes=1))
    change = table.update("left_band:v1", T0 + timedelta(minutes=2), evidence=["f9"])
    assert change is not None and change.alert.acknowledged_by == "hq"


def test_deadlines_reschedule_cancel_and_pop_in_order() -> None:
    due: Deadlines[str] = Deadlines()
    due.set("a", T0 + timedelta(minutes=10))
    due.set("b", T0 + timedelta(minutes=5))
    due.set("a", T0 + timedelta(minutes=30))  # pushed back
    due.set("c", T0 + timedelta(minutes=20))
    due.set("c", T0 + timedelta(minutes=1))  # brought forward
    due.set("d", T0)
    due.cancel("d")
    assert due.pop_due(T0 + timedelta(minutes=15)) == [
        ("c", T0 + timedelta(minutes=1)),
        ("b", T0 + timedelta(minutes=5)),
    ]
    assert due.pop_due(T0 + timedelta(minutes=29)) == []
    assert due.pop_due(T0 + timedelta(hours=1)) == [("a", T0 + timedelta(minutes=30))]
    assert len(due) == 0


@given(
    st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 100), st.booleans()), max_size=60),
    st.integers(0, 100),
)
def test_deadlines_pop_exactly_what_a_plain_dict_says_is_due(
    ops: list[tuple[str, int, bool]], now: int
) -> None:
    due: Deadlines[str] = Deadlines()
    model: dict[str, int] = {}
    for key, minute, cancel in ops:
        if cancel:
            due.cancel(key)
            model.pop(key, None)
        else:
            due.set(key, T0 + timedelta(minutes=minute))
            model[key] = minute
    popped = due.pop_due(T0 + timedelta(minutes=now))
    assert sorted(k for k, _ in popped) == sorted(k for k, m in model.items() if m <= now)
    assert all(due.get(k) == T0 + timedelta(minutes=m) for k, m in model.items() if m > now)


def test_recency_forgets_the_stale_oldest_first() -> None:
    seen: Recency[str] = Recency()
    seen.touch("a", T0)
    seen.touch("b", T0 + timedelta(hours=1))
    seen.touch("a", T0 + timedelta(hours=2))
    seen.touch("b", T0)  # an older time never moves a key back
    assert seen.stale(T0 + timedelta(hours=3), timedelta(hours=1, minutes=30)) == ["b"]
    assert seen.last("a") == T0 + timedelta(hours=2) and len(seen) == 1


def test_hysteresis_rejects_bad_thresholds() -> None:
    with pytest.raises(ValidationError, match="open_after_fixes: must be at least one fix"):
        Hysteresis(100.0, 0, 50.0)


HYSTERESIS = Hysteresis(open_excess_m=250.0, open_after_fixes=3, close_inside_m=100.0)


@given(st.lists(st.floats(-3000, 3000), min_size=1, max_size=80))
def test_hysteresis_opens_and_closes_only_past_its_thresholds(excesses: list[float]) -> None:
    is_open, run = False, 0
    for n, excess in enumerate(excesses):
        decision, run = HYSTERESIS.step(is_open, run, excess)
        if decision is Decision.OPEN:
            assert not is_open
            recent = excesses[max(0, n - 2) : n + 1]
            assert excess > 250.0 or (len(recent) == 3 and all(e > 0 for e in recent))
            is_open = True
        elif decision is Decision.CLOSE:
            assert is_open and excess <= -100.0
            is_open = False
        else:
            assert (is_open and excess > -100.0) or (not is_open and excess <= 250.0)


@given(st.lists(st.floats(-99.0, 249.0), max_size=100))
def test_noise_at_the_edge_never_closes_an_open_alert(excesses: list[float]) -> None:
    run = 0
    for excess in excesses:
        decision, run = HYSTERESIS.step(True, run, excess)
        assert decision is Decision.STAY


def test_a_fix_beyond_the_end_breaks_a_run_without_deciding() -> None:
    assert HYSTERESIS.step(False, 2, None) == (Decision.STAY, 0)
    assert HYSTERESIS.step(True, 2, None) == (Decision.STAY, 0)


def test_change_time_is_the_time_of_the_change() -> None:
    table = AlertTable()
    table.open(alert())
    closed = table.close("left_band:v1", T0 + timedelta(hours=2))
    assert closed.at == datetime(2021, 1, 10, 8, 0, tzinfo=UTC)
