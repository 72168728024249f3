"""Writing the daily bulletin into the log, signed by HQ's key (role ``hq`` in the registry).

The figures come from :func:`corridor.reports.bulletin.daily_figures` over the day's passages in
the log below the bulletin's own index, in the same transaction that appends the bulletin: the
bulletin comes after every entry it counts, and ``corridor audit`` can recompute it exactly. Its
``disruptions`` are the monitor's disruption rule replayed over the whole log's hourly flow
below that index (:mod:`corridor.reports.disruptions`), so they can be recomputed too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from corridor.errors import SignatureError
from corridor.model.signing import EntryType, SignedPassage, SigningKey, sign_body
from corridor.reports.bulletin import bulletin_body, daily_figures
from corridor.reports.disruptions import day_disruptions, flow_counts
from corridor.store import queries
from corridor.store.engine import Store

ROLE_HQ = "hq"


def write_bulletin(
    store: Store, corridor: str, hq_key: SigningKey, day: date, *, simulated: bool
) -> tuple[int, dict[str, Any]]:
    """Append the bulletin of ``day``; returns its log index and body."""
    with store.write() as conn:
        record = {k.public_key: k for k in queries.all_keys(conn)}.get(hq_key.public_key)
        if record is None or record.role != ROLE_HQ or record.revoked_at is not None:
            raise SignatureError("this key is not a registered, unrevoked HQ key of the log")
        tree_size = queries.log_size(conn)
        entries = (
            SignedPassage.from_bytes(raw).entry
            for raw in queries.passage_entries_of_day(conn, day.isoformat(), tree_size)
        )
        figures = daily_figures(entries, day)
        figures["disruptions"] = day_disruptions(flow_counts(conn, tree_size), day)
        body = bulletin_body(corridor, day, tree_size, figures, simulated=simulated)
        raw = sign_body(EntryType.BULLETIN, body, hq_key)
        queries.append_log_entries(conn, tree_size, [(EntryType.BULLETIN.value, raw)])
    return tree_size, body
