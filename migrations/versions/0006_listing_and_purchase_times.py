"""When each item was listed, when each customer last bought each item, and touches by time.

A recommender that starts from the read models took an item's last update for the time it was
listed (an old item whose price changed looked newly listed), and a customer's last touch of an
item for their last purchase of it (a view after a purchase restarted the wait before the item
may be suggested again). Both are filled in from the log.

A customer's latest touch (of any item, and of each item) is now the latest by time, not the
last recorded: an event recorded late no longer moves it back. The rows are replayed from the
log by that rule, so they equal what a rebuild gives.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from typing import Any

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
    sa.column("session_id", sa.String),
    sa.column("item_id", sa.String),
)
_items = sa.table("items", sa.column("item_id", sa.String), sa.column("listed_at", sa.BigInteger))
_users = sa.table(
    "users",
    sa.column("user_id", sa.String),
    sa.column("last_at", sa.BigInteger),
    sa.column("last_session_id", sa.String),
)
_user_items = sa.table(
    "user_items",
    sa.column("user_id", sa.String),
    sa.column("item_id", sa.String),
    sa.column("last_type", sa.String),
    sa.column("last_at", sa.BigInteger),
    sa.column("last_position", sa.BigInteger),
    sa.column("purchased_at", sa.BigInteger),
)
_INTERACTIONS = ("item_viewed", "added_to_cart", "removed_from_cart", "purchased", "item_favourited", "rated")


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("listed_at", sa.BigInteger, nullable=True))
    with op.batch_alter_table("user_items") as batch:
        batch.add_column(sa.Column("purchased_at", sa.BigInteger, nullable=True))
    bind = op.get_bind()
    _update(bind, _items, ("item_id",), _listing_times(bind))
    users, touches = _latest_touches(bind)
    _update(bind, _users, ("user_id",), users)
    _update(bind, _user_items, ("user_id", "item_id"), touches)


def _update(
    bind: sa.Connection, table: sa.TableClause, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    match = sa.and_(*(table.c[key] == sa.bindparam(f"k_{key}") for key in keys))
    values = {name: sa.bindparam(name) for name in rows[0] if name not in keys}
    bind.execute(
        sa.update(table).where(match).values(**values),
        [{**{f"k_{key}": row[key] for key in keys}, **{n: row[n] for n in values}} for row in rows],
    )


def _latest_touches(bind: sa.Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each customer's latest event, and each customer and item's latest interaction and
    latest purchase, by time (the later recorded of two at the same time)."""
    users: dict[str, tuple[int, str | None]] = {}
    touches: dict[tuple[str, str], list[Any]] = {}  # [type, at, position, purchased_at]
    logged = (
        sa.select(_events.c.position, _events.c.type, _events.c.occurred_at, _events.c.user_id)
        .add_columns(_events.c.session_id, _events.c.item_id)
        .where(_events.c.user_id.is_not(None))
        .order_by(_events.c.position)
    )
    for position, kind, at, user, session, item in bind.execute(logged):
        latest = users.get(user)
        if latest is None or at >= latest[0]:
            users[user] = (at, session)
        if item is None or kind not in _INTERACTIONS:
            continue
        touch = touches.setdefault((user, item), [kind, at, position, None])
        if at >= touch[1]:
            touch[0:3] = [kind, at, position]
        if kind == "purchased" and (touch[3] is None or at > touch[3]):
            touch[3] = at
    return (
        [{"user_id": u, "last_at": at, "last_session_id": s} for u, (at, s) in users.items()],
        [
            {
                "user_id": u,
                "item_id": i,
                "last_type": k,
                "last_at": at,
                "last_position": pos,
                "purchased_at": bought,
            }
            for (u, i), (k, at, pos, bought) in touches.items()
        ],
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
    return [{"item_id": item, "listed_at": at} for item, at in listed.items() if at is not None]


def downgrade() -> None:
    with op.batch_alter_table("user_items") as batch:
        batch.drop_column("purchased_at")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("listed_at")
