"""corridor.hq.alerts on SQLite and PostgreSQL: filters, bounded paging, acknowledging once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from corridor.errors import ConflictError, NotFoundError, ValidationError
from corridor.hq.alerts import MAX_LIMIT, AlertFilter, acknowledge, get_alert, list_alerts
from corridor.store.engine import Store
from tests.hq.alert_rows import insert_alert
from tests.store.conftest import StoreFactory, make_store  # noqa: F401 (fixture)

AT = datetime(2020, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(make_store: StoreFactory) -> Store:  # noqa: F811
    opened = make_store()
    insert_alert(opened, raised_at="2020-12-01T08:00:00Z", severity="warning", subject="v1")
    insert_alert(opened, raised_at="2020-12-01T09:00:00Z", severity="critical", kind="overdue")
    insert_alert(
        opened, raised_at="2020-12-02T07:00:00Z", closed_at="2020-12-02T08:00:00Z", subject="v1"
    )
    return opened


def listed(store: Store, **query: str) -> list[str]:
    with store.read() as conn:
        page = list_alerts(conn, AlertFilter.parse(**query))
    return [a["raised_at"] for a in page.items]


def test_filters_combine_and_list_newest_first(store: Store) -> None:
    assert listed(store) == ["2020-12-02T07:00:00Z", "2020-12-01T09:00:00Z", "2020-12-01T08:00:00Z"]
    assert listed(store, state="open") == ["2020-12-01T09:00:00Z", "2020-12-01T08:00:00Z"]
    assert listed(store, state="closed") == ["2020-12-02T07:00:00Z"]
    assert listed(store, severity="critical") == ["2020-12-01T09:00:00Z"]
    assert listed(store, kind="overdue") == ["2020-12-01T09:00:00Z"]
    assert listed(store, subject="v1", state="open") == ["2020-12-01T08:00:00Z"]
    assert listed(store, since="2020-12-01T08:30:00Z", until="2020-12-01T23:00:00Z") == [
        "2020-12-01T09:00:00Z"
    ]


def test_paging_is_bounded_and_counts_all(store: Store) -> None:
    with store.read() as conn:
        page = list_alerts(conn, AlertFilter.parse(limit="1", offset="1"))
    assert (page.total, page.limit, page.offset) == (3, 1, 1)
    assert [a["raised_at"] for a in page.items] == ["2020-12-01T09:00:00Z"]
    with pytest.raises(ValidationError, match=f"limit: between 1 and {MAX_LIMIT}"):
        AlertFilter.parse(limit=str(MAX_LIMIT + 1))
    with pytest.raises(ValidationError, match="offset: a whole number"):
        AlertFilter.parse(offset="-x")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"severity": "loud"}, "severity: one of info, warning, critical"),
        ({"state": "half"}, "state: one of open, closed"),
        ({"acknowledged": "maybe"}, "acknowledged: yes or no"),
        ({"since": "yesterday"}, "since:"),
        ({"since": "2020-12-02T00:00:00Z", "until": "2020-12-01T00:00:00Z"}, "until: must not"),
    ],
)
def test_malformed_filters_name_the_field(query: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AlertFilter.parse(**query)


def test_acknowledge_once_then_conflict_and_unknown(store: Store) -> None:
    with store.read() as conn:
        first = list_alerts(conn, AlertFilter()).items[-1]
    done = acknowledge(store, first["id"], "nadia", AT)
    assert (done["acknowledged_by"], done["acknowledged_at"]) == ("nadia", "2020-12-01T09:30:00Z")
    with pytest.raises(ConflictError, match="already acknowledged by nadia"):
        acknowledge(store, first["id"], "other", AT)
    with store.read() as conn:
        assert get_alert(conn, first["id"])["acknowledged_by"] == "nadia"
        assert listed(store, acknowledged="yes") == [first["raised_at"]]
    with pytest.raises(NotFoundError, match="no alert 999999"):
        acknowledge(store, 999999, "nadia", AT)
