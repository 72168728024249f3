"""Alert rows for tests that need alerts in the store without running the monitor."""

from __future__ import annotations

import json
from typing import Any

from corridor.store.engine import Store
from corridor.store.schema import alerts


def insert_alert(store: Store, **changes: Any) -> int:
    """An alert row as the monitor's integration writes it; its id."""
    row: dict[str, Any] = {
        "raised_at": "2020-12-01T08:00:00Z",
        "kind": "left_band",
        "source": "monitor",
        "message": "vehicle left the band near Lachin / Berdzor",
        "acknowledged": 0,
        "alert_key": None,
        "severity": "warning",
        "subject": "ab" * 16,
        "closed_at": None,
        "evidence": json.dumps({"positions": [1, 2]}),
        "figures": json.dumps({"distance_m": 3100}),
    }
    row.update(changes)
    with store.write() as conn:
        key = conn.execute(alerts.insert().values(**row)).inserted_primary_key
    assert key is not None
    return int(key[0])
