"""The database schema: the append-only event log, quarantine, and the projection tables.

The Alembic migrations under migrations/ create exactly this; a test compares the two.
Times are integers: microseconds since the Unix epoch, UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Ids compare as SQLite compares them, by code point, on PostgreSQL too (its default collation
# follows the language, so an ORDER BY item_id, and anything built in that order, differed).
ID = String(256).with_variant(String(256, collation="C"), "postgresql")
# Counts and positions: SQLite's INTEGER holds 64 bits, PostgreSQL's only 32.
COUNT = Integer().with_variant(BigInteger(), "postgresql")

events = Table(
    "events",
    metadata,
    Column("position", COUNT, primary_key=True, autoincrement=True),
    Column("event_id", String(256), nullable=False, unique=True),
    Column("type", String(32), nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("user_id", ID),
    Column("session_id", ID),
    Column("item_id", ID),
    Column("store_id", ID),
    Column("location", ID),
    Column("device", ID),
    Column("payload", JSON),
    sqlite_autoincrement=True,
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", COUNT, primary_key=True, autoincrement=True),
    Column("import_id", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("line", BigInteger),
    Column("reason", String(64), nullable=False),
    Column("detail", Text),
    Column("raw", Text),
    Index("ix_quarantine_reason", "reason"),
    Index("ix_quarantine_source_line", "source", "line"),
)

imports = Table(
    "imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("format", String(64), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("report", JSON),
)

# --- projections: read models, each rebuildable from the log ----------------------------

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("status", String(16), nullable=False),  # listed | delisted | seen (only in events)
    Column("title", Text),
    Column("category", Text),
    Column("brand", Text),
    Column("price", Float),
    Column("stock", BigInteger),
    Column("description", Text),
    Column("attributes", JSON),
    Column("updated_at", BigInteger, nullable=False),
    Column("listed_at", BigInteger),  # when it was last listed after not being listed
    # When the stock was last stated, by an event with a time of its own (NULL: unknown, or
    # stated by a catalogue file's row): purchases since lower the stock.
    Column("stock_at", BigInteger),
    Index("ix_items_category", "category"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("first_at", BigInteger, nullable=False),
    Column("last_at", BigInteger, nullable=False),
    Column("events", COUNT, nullable=False),
    Column("sessions", COUNT, nullable=False),
    Column("last_session_id", ID),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", ID, primary_key=True),
    Column("user_id", ID),
    Column("store_id", ID),
    Column("started_at", BigInteger, nullable=False),
    Column("last_at", BigInteger, nullable=False),
    Column("events", COUNT, nullable=False),
    Column("ended", COUNT, nullable=False),
    Column("recent_items", JSON, nullable=False),
    Index("ix_sessions_user", "user_id"),
)

# Each session's latest search (few sessions have one: not a column of every session row).
session_searches = Table(
    "session_searches",
    metadata,
    Column("session_id", ID, primary_key=True),
    Column("query", Text, nullable=False),
    Column("searched_at", BigInteger, nullable=False),
    Column("user_id", ID),  # who searched: customers can share a session id
)

user_items = Table(
    "user_items",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("item_id", ID, primary_key=True),
    Column("views", COUNT, nullable=False),
    Column("carts", COUNT, nullable=False),
    Column("in_cart", COUNT, nullable=False),
    Column("purchases", COUNT, nullable=False),
    Column("favourites", COUNT, nullable=False),
    Column("rating", Float),
    Column("last_type", String(32), nullable=False),
    Column("last_at", BigInteger, nullable=False),  # the latest touch by time (a late event is older)
    Column("last_position", BigInteger, nullable=False),
    Column("purchased_at", BigInteger),  # the latest purchase
)

item_stats = Table(
    "item_stats",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("views", COUNT, nullable=False),
    Column("carts", COUNT, nullable=False),
    Column("purchases", COUNT, nullable=False),
    Column("favourites", COUNT, nullable=False),
    Column("ratings", COUNT, nullable=False),
    Column("rating_sum", Float, nullable=False),
    # log(sum of weight * exp(t / tau)): time-decayed popularity without rewriting every row.
    Column("popularity_log", Float, nullable=False),
    Column("last_at", BigInteger, nullable=False),
)

cooccurrence = Table(
    "cooccurrence",
    metadata,
    Column("item_a", ID, primary_key=True),
    Column("item_b", ID, primary_key=True),
    Column("count", COUNT, nullable=False),
    # An item's most frequent neighbours (ties cut by the neighbour's id), read on the request
    # path, are one range of this, read in order and from it alone.
    Index("ix_cooccurrence_item_a_count_item_b", "item_a", "count", "item_b"),
)

PROJECTION_TABLES = (items, users, sessions, session_searches, user_items, item_stats, cooccurrence)

# One row per forgotten customer, without anything that identifies them: models trained
# before the row existed must be retrained without that customer.
forgets = Table(
    "forgets",
    metadata,
    Column("id", COUNT, primary_key=True, autoincrement=True),
    Column("forgotten_at", BigInteger, nullable=False),
    Column("events_removed", COUNT, nullable=False),
    # The log's head before the customer's events went: positions up to it are never handed
    # out again, though the newest events may have been theirs.
    Column("log_head", BigInteger),
)

# Small store-wide settings, such as the secret that turns customer ids into export pseudonyms.
settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
