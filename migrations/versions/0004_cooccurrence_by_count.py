"""Index co-occurrence by item and count, so an item's most frequent neighbours are a range read.

Without it, the recommender's "top neighbours of this item" query read every pair of the item
and sorted them: up to tens of milliseconds for a popular item, on the request path.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cooccurrence_item_a_count", "cooccurrence", ["item_a", "count"])


def downgrade() -> None:
    op.drop_index("ix_cooccurrence_item_a_count", table_name="cooccurrence")
