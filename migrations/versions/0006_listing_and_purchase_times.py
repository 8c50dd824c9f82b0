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

import itertools
from collections.abc import Iterator, Sequence
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
    users = _Updates(bind, _users, ("user_id",))
    touches = _Updates(bind, _user_items, ("user_id", "item_id"))
    for user, touched in _latest_touches(bind):
        users.add(user)
        for touch in touched:
            touches.add(touch)
    users.flush()
    touches.flush()


_CHUNK = 10_000  # rows per UPDATE: a months-long log has too many to hold at once on a small board


class _Updates:
    """Rows to write back, sent in chunks of `_CHUNK` while the log is still being read."""

    def __init__(self, bind: sa.Connection, table: sa.TableClause, keys: tuple[str, ...]) -> None:
        self.bind, self.table, self.keys = bind, table, keys
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        _update(self.bind, self.table, self.keys, self.rows)
        self.rows = []


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


def _latest_touches(bind: sa.Connection) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each customer's latest event, and each of their items' latest interaction and latest
    purchase, by time (the later recorded of two at the same time), one customer at a time.

    The log is read customer by customer (each one's events in log order), so that only one
    customer's items are held at once, not every customer-item pair of the log.
    """
    logged = (
        sa.select(_events.c.user_id, _events.c.position, _events.c.type, _events.c.occurred_at)
        .add_columns(_events.c.session_id, _events.c.item_id)
        .where(_events.c.user_id.is_not(None))
        .order_by(_events.c.user_id, _events.c.position)
        .execution_options(yield_per=10_000)  # a server-side cursor on PostgreSQL: memory stays flat
    )
    rows = bind.execute(logged)
    for user, events in itertools.groupby(rows, key=lambda row: row[0]):
        latest: tuple[int, str | None] | None = None
        touches: dict[str, list[Any]] = {}  # item -> [type, at, position, purchased_at]
        for _, position, kind, at, session, item in events:
            if latest is None or at >= latest[0]:
                latest = (at, session)
            if item is None or kind not in _INTERACTIONS:
                continue
            touch = touches.setdefault(item, [kind, at, position, None])
            if at >= touch[1]:
                touch[0:3] = [kind, at, position]
            if kind == "purchased" and (touch[3] is None or at > touch[3]):
                touch[3] = at
        assert latest is not None
        yield (
            {"user_id": user, "last_at": latest[0], "last_session_id": latest[1]},
            [
                {
                    "user_id": user,
                    "item_id": item,
                    "last_type": k,
                    "last_at": at,
                    "last_position": pos,
                    "purchased_at": bought,
                }
                for item, (k, at, pos, bought) in touches.items()
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
