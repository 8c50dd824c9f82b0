"""When each item was listed, and when each customer last bought each item.

A recommender that starts from the read models took an item's last update for the time it was
listed (an old item whose price changed looked newly listed), and a customer's last touch of an
item for their last purchase of it (a view after a purchase restarted the wait before the item
may be suggested again). Both are filled in from the log.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("position", sa.BigInteger),
    sa.column("type", sa.String),
    sa.column("occurred_at", sa.BigInteger),
    sa.column("user_id", sa.String),
    sa.column("item_id", sa.String),
)
_items = sa.table("items", sa.column("item_id", sa.String), sa.column("listed_at", sa.BigInteger))
_user_items = sa.table(
    "user_items",
    sa.column("user_id", sa.String),
    sa.column("item_id", sa.String),
    sa.column("purchased_at", sa.BigInteger),
)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("listed_at", sa.BigInteger, nullable=True))
    with op.batch_alter_table("user_items") as batch:
        batch.add_column(sa.Column("purchased_at", sa.BigInteger, nullable=True))
    bind = op.get_bind()
    listings = _listing_times(bind)
    if listings:
        bind.execute(
            sa.update(_items)
            .where(_items.c.item_id == sa.bindparam("item"))
            .values(listed_at=sa.bindparam("at")),
            listings,
        )
    bought = (
        sa.select(_events.c.user_id, _events.c.item_id, sa.func.max(_events.c.occurred_at))
        .where((_events.c.type == "purchased") & _events.c.user_id.is_not(None))
        .group_by(_events.c.user_id, _events.c.item_id)
    )
    rows = [{"user": u, "item": i, "at": at} for u, i, at in bind.execute(bought)]
    if rows:
        bind.execute(
            sa.update(_user_items)
            .where(
                (_user_items.c.user_id == sa.bindparam("user"))
                & (_user_items.c.item_id == sa.bindparam("item"))
            )
            .values(purchased_at=sa.bindparam("at")),
            rows,
        )


def _listing_times(bind: sa.Connection) -> list[dict[str, object]]:
    """When each item listed now was listed after not being listed, replayed from the log.

    (An item whose first news was an update, with no listing since, keeps no time: rare, and
    it only means the recommender does not count it among new arrivals.)
    """
    listed: dict[str, int | None] = {}  # item -> time listed, None while delisted
    catalogue = (
        sa.select(_events.c.type, _events.c.item_id, _events.c.occurred_at)
        .where(_events.c.type.in_(["item_listed", "item_delisted"]))
        .order_by(_events.c.position)
    )
    for kind, item, at in bind.execute(catalogue):
        if kind == "item_delisted":
            listed[item] = None
        elif listed.get(item) is None:
            listed[item] = at
    return [{"item": item, "at": at} for item, at in listed.items() if at is not None]


def downgrade() -> None:
    with op.batch_alter_table("user_items") as batch:
        batch.drop_column("purchased_at")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("listed_at")
