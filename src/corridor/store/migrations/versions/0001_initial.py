"""The first tables: the log, keys, passages (public), cargo lines, private records, meta.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: SQLite's rowid where the database is SQLite (see store/schema.py), BIGINT elsewhere.
ROW_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_entries",
        sa.Column("idx", ROW_KEY, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "keys",
        sa.Column("public_key", sa.LargeBinary(32), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.String(20), nullable=False),
        sa.Column("revoked_at", sa.String(20)),
        sa.Column("log_index", sa.BigInteger()),
    )
    op.create_table(
        "passages",
        sa.Column("log_index", ROW_KEY, sa.ForeignKey("log_entries.idx"), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("post", sa.String(16), nullable=False),
        sa.Column("observed_at", sa.String(20), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("vehicle_class", sa.String(16), nullable=False),
        sa.Column("vehicle", sa.String(64), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("returnees", sa.Integer(), nullable=False),
        sa.Column("crew", sa.Integer(), nullable=False),
        sa.Column("other", sa.Integer(), nullable=False),
        sa.Column("cargo_kg", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("convoy", sa.String(64)),
        sa.Column("received_at", sa.String(20), nullable=False),
        sa.Column("skew_seconds", sa.Integer(), nullable=False),
    )
    op.create_index("ix_passages_day", "passages", ["day", "direction", "vehicle_class"])
    op.create_table(
        "cargo_lines",
        sa.Column(
            "log_index", sa.BigInteger(), sa.ForeignKey("passages.log_index"), primary_key=True
        ),
        sa.Column("line", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("kg", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
    )
    op.create_index("ix_cargo_day", "cargo_lines", ["day", "category"])
    op.create_table(
        "private_records",
        sa.Column("log_index", ROW_KEY, sa.ForeignKey("passages.log_index"), primary_key=True),
        sa.Column("salt", sa.LargeBinary(16), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "store_meta",
        "private_records",
        "cargo_lines",
        "passages",
        "keys",
        "log_entries",
    ):
        op.drop_table(table)
