"""Retention of positions: delete those fixed longer ago than the retention, by hand
(`corridor positions purge`) or every hour while HQ runs (:func:`keep_purging`).

Positions say where people were; HQ keeps them only as long as monitoring needs them
(``CORRIDOR_POSITION_RETENTION_DAYS``). The purge is one range delete on the fix time's index.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from corridor.hq.ingest import Clock, system_clock
from corridor.hq.positions import millis, span_millis
from corridor.store.engine import Store
from corridor.store.schema import positions

log = logging.getLogger(__name__)


def purge_positions(store: Store, older_than: timedelta, clock: Clock = system_clock) -> int:
    """Delete positions fixed more than ``older_than`` before now; how many were deleted."""
    cutoff = millis(clock()) - span_millis(older_than)
    with store.write() as conn:
        deleted = conn.execute(positions.delete().where(positions.c.fixed_at_ms < cutoff))
    return int(deleted.rowcount or 0)


def keep_purging(
    store: Store,
    retention: timedelta,
    stop: threading.Event,
    clock: Clock = system_clock,
    interval: float = 3600.0,
) -> None:
    """Purge expired positions now and every ``interval`` seconds until ``stop`` is set."""
    while True:
        try:
            purged = purge_positions(store, retention, clock)
            if purged:
                log.info("purged %d positions older than %s", purged, retention)
        except Exception as exc:  # keep HQ serving; the next round tries again
            log.error("purging positions failed: %s", exc)
        if stop.wait(interval):
            return
