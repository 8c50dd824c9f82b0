"""A forget request keeps the log's head from before it, so no position is handed out twice.

When the customer forgotten had the newest events, the next event took the first of their
positions, and a reader that had already read past it (a tailing console, an export
`--since`) missed the new event. Earlier forgets left no record of the head: they stay NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("forgets") as batch:
        batch.add_column(sa.Column("log_head", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forgets") as batch:
        batch.drop_column("log_head")
