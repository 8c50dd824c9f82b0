"""Index co-occurrence by item, count and neighbour, so an item's top neighbours are read in order.

The recommender reads an item's most frequent neighbours, ties cut by the neighbour's id, on
the request path. The index of item and count alone gave neither the neighbour's id nor the
order among equal counts: every pair of the item was looked up in the table and sorted (about
0.3 ms for an item with a few hundred neighbours). With the neighbour in the index the read is
a scan of it that stops at the limit (about 0.07 ms).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cooccurrence_item_a_count_item_b", "cooccurrence", ["item_a", "count", "item_b"])
    op.drop_index("ix_cooccurrence_item_a_count", table_name="cooccurrence")


def downgrade() -> None:
    op.create_index("ix_cooccurrence_item_a_count", "cooccurrence", ["item_a", "count"])
    op.drop_index("ix_cooccurrence_item_a_count_item_b", table_name="cooccurrence")
