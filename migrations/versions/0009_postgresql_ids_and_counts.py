"""On PostgreSQL: ids compare by code point (as on SQLite), and counts and positions are 64-bit.

PostgreSQL's default collation follows the language: ids sorted otherwise than on SQLite, and
the recommender and evaluation, which number items in id order, ranked ties otherwise. Its
INTEGER holds 32 bits where SQLite's holds 64: a cart of a million units overflowed, and so
would a log past 2,147,483,647 events. SQLite is left as it is: its columns already are both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IDS = {
    "events": ("user_id", "session_id", "item_id", "store_id", "location", "device"),
    "items": ("item_id",),
    "item_stats": ("item_id",),
    "users": ("user_id", "last_session_id"),
    "sessions": ("session_id", "user_id", "store_id"),
    "session_searches": ("session_id",),
    "user_items": ("user_id", "item_id"),
    "cooccurrence": ("item_a", "item_b"),
}
COUNTS = {
    "events": ("position",),
    "quarantine": ("id",),
    "users": ("events", "sessions"),
    "sessions": ("events", "ended"),
    "user_items": ("views", "carts", "in_cart", "purchases", "favourites"),
    "item_stats": ("views", "carts", "purchases", "favourites", "ratings"),
    "cooccurrence": ("count",),
    "forgets": ("id", "events_removed"),
}
SEQUENCES = (("events", "position"), ("quarantine", "id"), ("forgets", "id"))


def upgrade() -> None:
    _alter('VARCHAR(256) COLLATE "C"', "BIGINT", "bigint")


def downgrade() -> None:
    _alter('VARCHAR(256) COLLATE "default"', "INTEGER", "integer")


def _alter(id_type: str, count_type: str, sequence_type: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in IDS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {id_type}")
    for table, columns in COUNTS.items():
        for column in columns:
            op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" TYPE {count_type}')
    for table, column in SEQUENCES:
        sequence = (
            op.get_bind().exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', '{column}')").scalar()
        )
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} AS {sequence_type}")
