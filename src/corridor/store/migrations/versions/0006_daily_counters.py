"""Daily counters kept by ingest (flow by post, totals, cargo, reasons), backfilled from the
stored passages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SUMS = ("events", "residents", "returnees", "crew", "other", "cargo_kg")

# The backfill is one INSERT ... SELECT each, the GROUP BY the counters stand for: the database
# aggregates, nothing is read into Python (a store may hold millions of passages). Written out
# here, not imported from store/counters.py: a migration must not change when that module does.
FLOW = "events, residents, returnees, crew, other, cargo_kg"
FLOW_SUMS = "COUNT(*), SUM(residents), SUM(returnees), SUM(crew), SUM(other), SUM(cargo_kg)"
BACKFILL = (
    f"INSERT INTO daily_flow (day, post, kind, direction, vehicle_class, {FLOW})"
    f" SELECT day, post, kind, direction, vehicle_class, {FLOW_SUMS} FROM passages"
    " GROUP BY day, post, kind, direction, vehicle_class",
    f"INSERT INTO daily_totals (kind, day, direction, vehicle_class, {FLOW})"
    f" SELECT kind, day, direction, vehicle_class, {FLOW_SUMS} FROM passages"
    " GROUP BY kind, day, direction, vehicle_class",
    "INSERT INTO daily_cargo (kind, day, category, kg)"
    " SELECT kind, day, category, SUM(kg) FROM cargo_lines GROUP BY kind, day, category",
    "INSERT INTO daily_reasons (kind, day, reason, events)"
    " SELECT kind, day, reason, COUNT(*) FROM passages WHERE reason IS NOT NULL"
    " GROUP BY kind, day, reason",
)


def _key(name: str) -> sa.Column[str]:
    length = {"day": 10, "category": 32, "reason": 32}.get(name, 16)
    return sa.Column(name, sa.String(length), primary_key=True)


def _sums(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def upgrade() -> None:
    flow_key = ("day", "post", "kind", "direction", "vehicle_class")
    op.create_table("daily_flow", *map(_key, flow_key), *_sums(*SUMS))
    totals_key = ("kind", "day", "direction", "vehicle_class")
    op.create_table("daily_totals", *map(_key, totals_key), *_sums(*SUMS))
    op.create_table("daily_cargo", *map(_key, ("kind", "day", "category")), *_sums("kg"))
    op.create_table("daily_reasons", *map(_key, ("kind", "day", "reason")), *_sums("events"))
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    for table in ("daily_reasons", "daily_cargo", "daily_totals", "daily_flow"):
        op.drop_table(table)
