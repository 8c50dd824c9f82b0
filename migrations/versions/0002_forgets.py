"""Forget requests: a counter that tells trainers to retrain without a forgotten customer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forgets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("forgotten_at", sa.BigInteger, nullable=False),
        sa.Column("events_removed", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("forgets")
