"""Every database read the recommender makes, in one place: snapshot loads and log catch-up.

All reads go through one connection inside one read transaction, so the catalogue, the
customer rows and the log position they reflect come from the same snapshot. The per-customer
reads (a customer, a session, items' neighbours, the log since a position) run on the
request path when a customer is first seen, so they use statements compiled once per dialect
and run on the driver cursor (`edgerec.store.sql.compiled`), without SQLAlchemy's
per-execution cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, bindparam, func, literal, select

from edgerec.domain.signals import DEFAULT_EVENT_WEIGHTS
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import (
    cooccurrence,
    events,
    item_stats,
    items,
    projection_positions,
    session_searches,
    sessions,
    user_items,
    users,
)
from edgerec.store.sql import compiled, decode_json, select_in

_USER = select(users.c.last_session_id, users.c.last_at).where(users.c.user_id == bindparam("u"))
_RECENT_USERS = (
    select(users.c.user_id).order_by(users.c.last_at.desc(), users.c.user_id).limit(bindparam("n"))
)
_USER_ITEMS = (
    select(user_items)
    .where(user_items.c.user_id == bindparam("u"))
    .order_by(user_items.c.last_at.desc(), user_items.c.last_position.desc())
    .limit(bindparam("n"))
)
_CART_OR_BOUGHT = (
    select(user_items)
    .where(
        (user_items.c.user_id == bindparam("u")) & ((user_items.c.in_cart > 0) | (user_items.c.purchases > 0))
    )
    .order_by(user_items.c.last_position)
)
_SESSION = (
    select(
        sessions.c.store_id,
        sessions.c.recent_items,
        sessions.c.user_id,
        session_searches.c.query,
        session_searches.c.searched_at,
        session_searches.c.user_id.label("searcher"),
    )
    .select_from(sessions.outerjoin(session_searches, session_searches.c.session_id == sessions.c.session_id))
    .where(sessions.c.session_id == bindparam("s"))
)
_ITEMS = select(
    items.c.item_id,
    items.c.status,
    items.c.title,
    items.c.category,
    items.c.brand,
    items.c.stock,
    items.c.listed_at,
    items.c.stock_at,
)
_STATS = select(
    item_stats.c.item_id,
    item_stats.c.popularity_log,
    (
        item_stats.c.views
        + item_stats.c.carts
        + item_stats.c.purchases
        + item_stats.c.favourites
        + item_stats.c.ratings
    ),
    item_stats.c.ratings,
)
_NEIGHBOURS = (
    select(cooccurrence.c.item_b, cooccurrence.c["count"])
    .where(cooccurrence.c.item_a == bindparam("a"))
    .order_by(cooccurrence.c["count"].desc(), cooccurrence.c.item_b.desc())  # ties cut the same way
    .limit(bindparam("n"))
)
_POSITION = select(func.min(projection_positions.c.position))
_LOG_SINCE = (
    select(*[events.c[name] for name in StoredEvent._fields])
    .where(events.c.position > bindparam("p"))
    .order_by(events.c.position)
    .limit(bindparam("n"))
)
# The log's events that count for an item's popularity, only what a warm-up reads of them (the
# payload for a category: an item the catalogue does not know takes the one it came with).
_WEIGHED_SINCE = (
    select(
        events.c.position,
        events.c.store_id,
        events.c.item_id,
        events.c.type,
        events.c.occurred_at,
        events.c.payload,
    )
    .where(
        events.c.position > bindparam("p"),
        events.c.position <= bindparam("upto"),
        events.c.item_id.is_not(None),
        events.c.type.in_([literal(kind.value) for kind in DEFAULT_EVENT_WEIGHTS]),
    )
    .order_by(events.c.position)
    .limit(bindparam("n"))
)
_USER_ITEM_COLUMNS = tuple(c.name for c in user_items.columns)


def _fetch(connection: Connection, statement: Any, **params: Any) -> list[Any]:
    """The rows of a module-level query, run on the driver cursor."""
    query = compiled(connection.dialect, statement)
    return query.fetch(connection, query.bind(**params))


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every read inside sees the same committed state."""
    with engine.connect() as connection, connection.begin():
        yield connection


def projected_position(connection: Connection) -> int:
    """The log position every projection has reached (0 when none has run)."""
    value = connection.execute(_POSITION).scalar_one()
    return int(value or 0)


def catalogue_rows(connection: Connection) -> list[Any]:
    """Every item, in id order: the items are numbered in it, and the numbers break ties in the
    ranking, so it must not depend on where the database keeps each row (PostgreSQL moves a
    row it updates, so a rebuild reordered them). Sorted here: cheaper than by an index."""
    return sorted(connection.execute(_ITEMS), key=itemgetter(0))


# What a listing says of an item, as the trainer reads it into the item's content tokens.
_LISTING_FIELDS = ("title", "category", "brand", "price", "description", "attributes")


def listings(connection: Connection, item_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored listing of each of these items that the store holds, by id, its empty fields
    left out: price, description and attributes too, which the in-memory catalogue does not keep."""
    found = {}
    for item_id, *values in select_in(connection, items, "item_id", item_ids, ("item_id", *_LISTING_FIELDS)):
        fields = dict(zip(_LISTING_FIELDS, values, strict=True))
        fields["attributes"] = decode_json(fields["attributes"])
        found[item_id] = {name: value for name, value in fields.items() if value is not None}
    return found


def popularity_rows(connection: Connection) -> list[Any]:
    """Each item's popularity, in id order (see `catalogue_rows`)."""
    return sorted(connection.execute(_STATS), key=itemgetter(0))


def user_row(connection: Connection, user_id: str) -> tuple[str | None, int] | None:
    rows = _fetch(connection, _USER, u=user_id)
    return (rows[0][0], int(rows[0][1])) if rows else None


def recent_user_ids(connection: Connection, limit: int) -> list[str]:
    """The `limit` most recently active customers, most recent first."""
    return [row[0] for row in _fetch(connection, _RECENT_USERS, n=limit)]


def user_item_rows(connection: Connection, user_id: str, limit: int) -> list[dict[str, Any]]:
    """The user's items, most recent last, plus every item in their cart or bought."""
    names = _USER_ITEM_COLUMNS
    recent = [dict(zip(names, r, strict=True)) for r in _fetch(connection, _USER_ITEMS, u=user_id, n=limit)]
    seen = {r["item_id"] for r in recent}
    extra = [
        dict(zip(names, r, strict=True))
        for r in _fetch(connection, _CART_OR_BOUGHT, u=user_id)
        if r[names.index("item_id")] not in seen
    ]
    return extra + list(reversed(recent))


class SessionRow(NamedTuple):
    store_id: str | None
    recent_ids: list[str]  # its recent distinct items, oldest first
    user_id: str | None
    search: str | None  # its latest search
    searched_at: int | None
    searcher: str | None  # who made that search


def session_row(connection: Connection, session_id: str) -> SessionRow | None:
    rows = _fetch(connection, _SESSION, s=session_id)
    if not rows:
        return None
    store_id, recent, user_id, query, query_at, searcher = rows[0]
    return SessionRow(store_id, list(decode_json(recent) or []), user_id, query, query_at, searcher)


def neighbour_rows(connection: Connection, item_id: str, limit: int) -> list[tuple[str, int]]:
    """One item's `limit` most frequent co-occurring items."""
    return [(r[0], int(r[1])) for r in _fetch(connection, _NEIGHBOURS, a=item_id, n=limit)]


def log_since(connection: Connection, position: int, limit: int) -> list[StoredEvent]:
    """At most `limit` events after `position`, oldest first."""
    return [
        StoredEvent(*row[:-1], decode_json(row[-1]) or {})
        for row in _fetch(connection, _LOG_SINCE, p=position, n=limit)
    ]


class Weighed(NamedTuple):
    """A block of the log's events that count for an item's popularity, column by column, each
    column only what a warm-up reads of them."""

    store_ids: tuple[str | None, ...]
    item_ids: tuple[str, ...]
    types: tuple[str, ...]
    occurred_at: tuple[int, ...]
    payloads: tuple[Any, ...]  # as stored: `category_in` reads one where needed


def weighed_between(connection: Connection, after: int, upto: int, limit: int) -> Iterator[Weighed]:
    """The events after position `after`, up to `upto`, that count for an item's popularity
    (`DEFAULT_EVENT_WEIGHTS`), oldest first, `limit` at a time."""
    while after < upto and (rows := _fetch(connection, _WEIGHED_SINCE, p=after, upto=upto, n=limit)):
        yield Weighed(*list(zip(*rows, strict=True))[1:])
        after = rows[-1][0]


def category_in(payload: Any) -> str | None:
    """The category a stored event's payload gives its item, if any."""
    return (decode_json(payload) or {}).get("category")


def stores_between(connection: Connection, after: int, upto: int) -> set[str]:
    """The stores named by the events after position `after`, up to `upto`, whatever the event."""
    named = (
        select(events.c.store_id)
        .distinct()
        .where(events.c.position > after, events.c.position <= upto, events.c.store_id.is_not(None))
    )
    return {store for store in connection.execute(named).scalars() if store}


def warmup_start(connection: Connection, upto: int, *, least: int, most: int, span_us: int) -> int:
    """The log position after which a warm-up replays the log up to `upto`: the newest `least`
    events and, before them, those back to `span_us` before the newest of their times, at most
    the newest `most` in all. A position, not a time: the primary key finds it, where the log
    has no index of times (an event appended out of time order is replayed with those about it).
    """
    floor, start = max(0, upto - most), max(0, upto - least)
    if start <= floor:
        return floor
    in_range = (events.c.position > floor, events.c.position <= upto)
    newest = connection.execute(
        select(func.max(events.c.occurred_at)).where(events.c.position > start, events.c.position <= upto)
    ).scalar()
    if newest is None:
        return start
    first = connection.execute(
        select(events.c.position)
        .where(*in_range, events.c.occurred_at >= newest - span_us)
        .order_by(events.c.position)
        .limit(1)
    ).scalar()
    return start if first is None else min(start, first - 1)
