"""Monitoring at HQ: trackers and their positions, convoys, crews and their zones, and the
fields of a monitor alert (stable key, severity, subject, closing time, evidence, figures, who
acknowledged it and when); passages by vehicle and time, for dwell and transit times.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ROW_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

ALERT_COLUMNS = (
    ("alert_key", sa.String(128)),
    ("severity", sa.String(16)),
    ("subject", sa.String(64)),
    ("closed_at", sa.String(20)),
    ("evidence", sa.Text()),
    ("figures", sa.Text()),
    ("acknowledged_by", sa.String(64)),
    ("acknowledged_at", sa.String(20)),
)


def upgrade() -> None:
    # batch mode: SQLite cannot add several columns in one ALTER; Alembic copies the table.
    with op.batch_alter_table("alerts") as batch:
        for name, type_ in ALERT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    op.create_index("ix_alerts_key", "alerts", ["alert_key"])
    op.create_index("ix_passages_vehicle", "passages", ["vehicle", "observed_at"])
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.String(20), nullable=False),
        sa.Column("revoked_at", sa.String(20)),
    )
    op.create_table(
        "positions",
        sa.Column("id", ROW_KEY, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16)),
        sa.Column("subject_id", sa.String(64)),
        sa.Column("fixed_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("received_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed_mps", sa.Float()),
        sa.Column("bearing", sa.Float()),
        sa.Column("altitude_m", sa.Float()),
        sa.Column("accuracy_m", sa.Float()),
        sa.Column("battery_pct", sa.Float()),
    )
    op.create_index("ix_positions_fixed", "positions", ["fixed_at_ms"])
    op.create_index("ix_positions_device", "positions", ["device_id", "fixed_at_ms"])
    op.create_table(
        "convoys",
        sa.Column("convoy_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("planned_departure", sa.String(20), nullable=False),
        sa.Column("route_version", sa.Integer()),
        sa.Column("created_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "convoy_members",
        sa.Column("convoy_id", sa.String(64), sa.ForeignKey("convoys.convoy_id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("plate", sa.String(32), nullable=False),
    )
    op.create_table(
        "crews",
        sa.Column("crew_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
    )
    op.create_table(
        "crew_zones",
        sa.Column("zone_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("crew_id", sa.String(32), sa.ForeignKey("crews.crew_id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("active_from", sa.String(20), nullable=False),
        sa.Column("active_to", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    for table in ("crew_zones", "crews", "convoy_members", "convoys", "positions", "devices"):
        op.drop_table(table)
    op.drop_index("ix_passages_vehicle", "passages")
    op.drop_index("ix_alerts_key", "alerts")
    with op.batch_alter_table("alerts") as batch:
        for name, _ in reversed(ALERT_COLUMNS):
            batch.drop_column(name)
