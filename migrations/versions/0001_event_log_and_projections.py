"""Event log, quarantine, imports, and the first projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(256)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(256), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("occurred_at", sa.BigInteger, nullable=False),
        sa.Column("user_id", ID),
        sa.Column("session_id", ID),
        sa.Column("item_id", ID),
        sa.Column("store_id", ID),
        sa.Column("location", ID),
        sa.Column("device", ID),
        sa.Column("payload", sa.JSON),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("line", sa.BigInteger),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("raw", sa.Text),
    )
    op.create_index("ix_quarantine_reason", "quarantine", ["reason"])
    op.create_table(
        "imports",
        sa.Column("import_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("report", sa.JSON),
    )
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("brand", sa.Text),
        sa.Column("price", sa.Float),
        sa.Column("stock", sa.BigInteger),
        sa.Column("description", sa.Text),
        sa.Column("attributes", sa.JSON),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_items_category", "items", ["category"])
    op.create_table(
        "users",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("first_at", sa.BigInteger, nullable=False),
        sa.Column("last_at", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("sessions", sa.Integer, nullable=False),
        sa.Column("last_session_id", ID),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", ID, primary_key=True),
        sa.Column("user_id", ID),
        sa.Column("store_id", ID),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("last_at", sa.BigInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("ended", sa.Integer, nullable=False),
        sa.Column("recent_items", sa.JSON, nullable=False),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"])
    op.create_table(
        "user_items",
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("carts", sa.Integer, nullable=False),
        sa.Column("in_cart", sa.Integer, nullable=False),
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("favourites", sa.Integer, nullable=False),
        sa.Column("rating", sa.Float),
        sa.Column("last_type", sa.String(32), nullable=False),
        sa.Column("last_at", sa.BigInteger, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "item_stats",
        sa.Column("item_id", ID, primary_key=True),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("carts", sa.Integer, nullable=False),
        sa.Column("purchases", sa.Integer, nullable=False),
        sa.Column("favourites", sa.Integer, nullable=False),
        sa.Column("ratings", sa.Integer, nullable=False),
        sa.Column("rating_sum", sa.Float, nullable=False),
        sa.Column("popularity_log", sa.Float, nullable=False),
        sa.Column("last_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "cooccurrence",
        sa.Column("item_a", ID, primary_key=True),
        sa.Column("item_b", ID, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "cooccurrence",
        "item_stats",
        "user_items",
        "sessions",
        "users",
        "items",
        "projection_positions",
        "imports",
        "quarantine",
        "events",
    ):
        op.drop_table(table)
