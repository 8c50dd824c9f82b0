"""When each item's stock was last stated, so that purchases since lower it.

A purchase left the item's stock as the catalogue last stated it: the last unit sold stayed
"in stock" until someone stated the stock again. A purchase now lowers it (not below zero) when
it happened no earlier than the item's last stock statement with a time of its own; a catalogue
file's row has none, since the file's stock already counts the sales of its history. The
column, and the stock of each listed item, are replayed from the log, so they equal what a
rebuild gives.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "events",
    sa.column("position", sa.BigInteger),
    sa.column("type", sa.String),
    sa.column("occurred_at", sa.BigInteger),
    sa.column("item_id", sa.String),
    sa.column("payload", sa.JSON),
)
_items = sa.table(
    "items",
    sa.column("item_id", sa.String),
    sa.column("stock", sa.BigInteger),
    sa.column("stock_at", sa.BigInteger),
)
_EARLIEST_US = 631_152_000_000_000  # 1990-01-01: a catalogue file's rows, which carry no time
_CATALOGUE = ("item_listed", "item_updated", "item_delisted")
_CHUNK = 10_000


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("stock_at", sa.BigInteger, nullable=True))
    bind = op.get_bind()
    rows = [
        {"k_item_id": item, "stock": stock, "stock_at": at} for item, (stock, at) in _replayed(bind).items()
    ]
    update = (
        sa.update(_items)
        .where(_items.c.item_id == sa.bindparam("k_item_id"))
        .values(stock=sa.bindparam("stock"), stock_at=sa.bindparam("stock_at"))
    )
    for start in range(0, len(rows), _CHUNK):
        bind.execute(update, rows[start : start + _CHUNK])


def _replayed(bind: sa.Connection) -> dict[str, tuple[Any, Any]]:
    """The stock and its statement time of each item whose stock a purchase lowered, as the
    catalogue projection folds the log: in log order, an update of an item known only from
    interactions keeps it unlisted, and a purchase lowers only a listed item's stock."""
    first_touch = dict(
        bind.execute(
            sa.select(_events.c.item_id, sa.func.min(_events.c.position))
            .where(_events.c.item_id.is_not(None), _events.c.type.not_in(_CATALOGUE))
            .group_by(_events.c.item_id)
        ).all()
    )
    state: dict[str, list[Any]] = {}  # item -> [listed, stock, stock_at, lowered]
    logged = (
        sa.select(
            _events.c.position, _events.c.type, _events.c.occurred_at, _events.c.item_id, _events.c.payload
        )
        .where(_events.c.type.in_([*_CATALOGUE, "purchased"]), _events.c.item_id.is_not(None))
        .order_by(_events.c.position)
        .execution_options(yield_per=10_000)
    )
    for position, kind, at, item, payload in bind.execute(logged):
        payload = payload or {}
        known = state.get(item)
        if kind == "item_listed":
            state[item] = [True, payload.get("stock"), _stated_at(payload, at, known), False]
        elif kind == "item_updated":
            if known is None:
                touched = first_touch.get(item)
                known = state[item] = [touched is None or touched > position, None, None, False]
            if "stock" in payload:
                known[1:3] = [payload["stock"], _stated_at(payload, at, known)]
        elif kind == "item_delisted":
            if known is None:
                known = state[item] = [False, None, None, False]
            known[0] = False
        elif (
            known is not None
            and known[0]
            and known[1] is not None
            and known[2] is not None
            and at >= known[2]
        ):
            known[1] = max(known[1] - int(payload.get("quantity", 1)), 0)
            known[3] = True
    # Only the items a purchase lowered change their stock; the time is each item's own.
    return {item: (s[1], s[2]) for item, s in state.items() if s[3] or s[2] is not None}


def _stated_at(payload: dict[str, Any], at: int, known: list[Any] | None) -> int | None:
    """As the catalogue projection's `stock_stated_at`: a catalogue file's row that restates the
    stock held keeps its time."""
    stock = payload.get("stock")
    if stock is None:
        return None
    if at > _EARLIEST_US:
        return at
    return known[2] if known is not None and known[1] == stock else None


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("stock_at")
