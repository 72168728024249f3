"""Registries (vehicles, permits, operators), alerts, and the tables of sync on both sides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("plate", sa.String(32), primary_key=True),
        sa.Column("plate_display", sa.String(32), nullable=False),
        sa.Column("vehicle_class", sa.String(16), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
    )
    op.create_table(
        "permits",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("plate", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.String(20), nullable=False),
        sa.Column("valid_to", sa.String(20), nullable=False),
    )
    op.create_table(
        "operators",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("post", sa.String(16)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("raised_at", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("acknowledged", sa.Integer(), nullable=False),
    )
    op.create_table(
        "post_sequences",
        sa.Column("post", sa.String(16), primary_key=True),
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("private_record", sa.Text(), nullable=False),
        sa.Column("salt", sa.LargeBinary(16), nullable=False),
        sa.Column("recorded_at", sa.String(20), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("log_index", sa.BigInteger()),
        sa.Column("acked_at", sa.String(20)),
        sa.Column("receipt", sa.Text()),
    )
    op.create_index("ix_outbox_pending", "outbox", ["log_index", "seq"])
    op.create_table(
        "seen_checkpoints",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "seen_checkpoints",
        "outbox",
        "post_sequences",
        "alerts",
        "operators",
        "permits",
        "vehicles",
    ):
        op.drop_table(table)
