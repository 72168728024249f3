"""Per post, the highest sequence number up to which HQ holds every one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_sequence_state",
        sa.Column("post", sa.String(16), primary_key=True),
        sa.Column("contiguous_through", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("post_sequence_state")
