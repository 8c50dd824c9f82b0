"""Customers' activity: users, sessions, per-user item history, and in-session co-occurrence."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from edgerec.domain import INTERACTION_TYPES, EventType
from edgerec.domain.signals import RECENT_ITEMS_PER_SESSION, SESSION_GAP_S
from edgerec.projections.base import RowCache, Shared
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import cooccurrence, session_searches, sessions, user_items, users
from edgerec.store.sql import chunks, insert_rows, insert_tuples

_GAP_US = SESSION_GAP_S * 1_000_000
_ITEM_EVENTS = INTERACTION_TYPES
_PAIRING_EVENTS = _ITEM_EVENTS - {EventType.REMOVED_FROM_CART}
_PAIR_COLUMNS = ("item_a", "item_b", "count")


def assign_sessions(
    connection: Connection, rows: Sequence[dict[str, Any]], shared: Shared | None = None
) -> None:
    """Gives every customer event without a session id one, in place, before it is logged.

    A customer's events belong to one session until 30 minutes pass without activity. The id
    is derived from the customer and the session's first event, so a replay or a re-import
    of the same rows finds the same sessions. A session_started event starts a new one, and
    after a session_ended event the customer has no current session. An event older than the
    customer's latest (one recorded late, an offline kiosk's) joins the session it falls in or
    within 30 minutes of, the latest or a stored earlier one, and leaves the latest current.
    The events of one batch are taken in time order, so a file that is not sorted by time
    (RetailRocket's) gets the sessions a sorted one does; the log keeps their order. The users
    rows it reads are left in `shared` for the activity projection of the same append.
    """
    pending = [row for row in rows if row["session_id"] is None and row["user_id"] is not None]
    if not pending:
        return
    cache = RowCache.shared(shared, connection, users, [(r["user_id"],) for r in pending])
    latest = {key[0]: (row["last_at"], row["last_session_id"]) for key, row in cache.rows.items()}
    earlier = _earlier_sessions(connection, pending, latest)
    late: dict[str, tuple[int, str]] = {}
    for row in sorted(rows, key=itemgetter("occurred_at")):  # stable: ties keep the batch's order
        user = row["user_id"]
        if user is None:
            continue
        at = row["occurred_at"]
        newest = latest.get(user)
        if row["session_id"] is None:
            if row["type"] == EventType.SESSION_STARTED:
                found = None
            elif newest is not None and at < newest[0]:  # late: the visit it falls in, if stored
                found = _around(earlier.get(user, ()), at, late.get(user)) or _near(newest, at)
            else:
                found = _near(newest, at)
            row["session_id"] = found or session_id_for(user, at)
        current = None if row["type"] == EventType.SESSION_ENDED else row["session_id"]
        if newest is None or at >= newest[0]:
            latest[user] = (at, current)
        else:
            late[user] = (at, current)


def _near(last: tuple[int, str | None] | None, at: int) -> str | None:
    """The session of `last` (its time and session) if `at` is within the gap of it."""
    if last is not None and abs(at - last[0]) <= _GAP_US:
        return last[1]
    return None


def _earlier_sessions(
    connection: Connection, pending: Sequence[dict[str, Any]], latest: dict[str, tuple[int, str | None]]
) -> dict[str, list[tuple[int, int, bool, str]]]:
    """The stored sessions that events older than their customer's latest could belong to:
    (start, last event, ended, id) by customer. Only late events need them."""
    oldest: dict[str, int] = {}
    for row in pending:
        user, at = row["user_id"], row["occurred_at"]
        newest = latest.get(user)
        if newest is not None and at < newest[0]:
            oldest[user] = min(at, oldest.get(user, at))
    found: dict[str, list[tuple[int, int, bool, str]]] = defaultdict(list)
    for part in chunks(list(oldest)):  # a file sorted newest first makes many customers late
        query = select(
            sessions.c.user_id,
            sessions.c.session_id,
            sessions.c.started_at,
            sessions.c.last_at,
            sessions.c.ended,
        ).where(
            sessions.c.user_id.in_(part), sessions.c.last_at >= min(oldest[user] for user in part) - _GAP_US
        )
        for user, session_id, started_at, last_at, ended in connection.execute(query):
            if last_at >= oldest[user] - _GAP_US:
                found[user].append((started_at, last_at, bool(ended), session_id))
    return found


def _around(
    stored: Sequence[tuple[int, int, bool, str]], at: int, late: tuple[int, str | None] | None
) -> str | None:
    """The session whose events `at` falls among or within the gap of (the nearest one): a
    stored one, or that of the batch's previous late event; after a session that ended, only
    within its span."""
    spans = list(stored)
    if late is not None and late[1] is not None:
        spans.append((late[0], late[0], False, late[1]))
    best: tuple[int, str] | None = None
    for started_at, last_at, ended, session_id in spans:
        after = last_at if not ended else last_at - _GAP_US
        distance = max(started_at - at, at - last_at, 0)
        if started_at - _GAP_US <= at <= after + _GAP_US and (best is None or distance < best[0]):
            best = (distance, session_id)
    return best[1] if best else None


def session_id_for(user_id: str, first_at_us: int) -> str:
    """The id of a session the store starts: the customer and the time of its first event
    (its fraction of a second too, where it has one: two visits can start in one second)."""
    seconds, micros = divmod(first_at_us, 1_000_000)
    session = f"{user_id}@{seconds}" + (f".{micros:06d}" if micros else "")
    if len(session) > 256:
        session = hashlib.sha256(session.encode()).hexdigest()
    return session


class ActivityProjector:
    name = "activity"
    tables = (users, sessions, session_searches, user_items, cooccurrence)

    def apply(
        self, connection: Connection, batch: Sequence[StoredEvent], shared: Shared | None = None
    ) -> None:
        customer_events = [e for e in batch if e.user_id is not None]
        if not customer_events:
            return
        user_cache = RowCache.shared(shared, connection, users, [(e.user_id,) for e in customer_events])
        session_cache = RowCache(
            connection, sessions, [(e.session_id,) for e in customer_events if e.session_id]
        )
        history_cache = RowCache(
            connection,
            user_items,
            [(e.user_id, e.item_id) for e in customer_events if e.type in _ITEM_EVENTS],
        )
        pairs: dict[tuple[str, str], int] = defaultdict(int)
        session_rows, session_changed = session_cache.rows, session_cache.changed
        user_rows, user_changed = user_cache.rows, user_cache.changed
        for event in customer_events:
            new_session = False
            if event.session_id is not None:
                new_session = _session(session_rows, session_changed, event, pairs)
            key = (event.user_id,)
            row = user_rows.get(key)
            if row is None:
                row = user_rows[key] = {
                    "user_id": event.user_id,
                    "first_at": event.occurred_at,
                    "last_at": event.occurred_at,
                    "events": 0,
                    "sessions": 0,
                    "last_session_id": None,
                }
            user_changed.add(key)
            row["events"] += 1
            row["sessions"] += new_session
            if event.occurred_at < row["first_at"]:
                row["first_at"] = event.occurred_at
            if event.occurred_at >= row["last_at"]:  # a late event leaves the current session current
                row["last_at"] = event.occurred_at
                row["last_session_id"] = None if event.type == EventType.SESSION_ENDED else event.session_id
            if event.type in _ITEM_EVENTS:
                _history(history_cache, event)
        user_cache.save(connection)
        session_cache.save(connection)
        history_cache.save(connection)
        _save_searches(connection, customer_events)
        if pairs:
            # Counts only ever add up, so pairs are upserted without being read first; as
            # tuples (item_a, item_b, count), not as a dict per pair.
            counted = [(a, b, n) for (a, b), n in pairs.items()]
            insert_tuples(connection, cooccurrence, _PAIR_COLUMNS, counted, on_conflict="add")


def _save_searches(connection: Connection, events: Sequence[StoredEvent]) -> None:
    """Each session's latest search in this batch replaces the one it had (written, not read)."""
    latest = {e.session_id: e for e in events if e.type == EventType.SEARCHED and e.session_id is not None}
    rows = [
        {
            "session_id": session_id,
            "query": event.payload.get("query", ""),
            "searched_at": event.occurred_at,
            "user_id": event.user_id,
        }
        for session_id, event in latest.items()
    ]
    insert_rows(connection, session_searches, rows, on_conflict="replace")


def _session(
    rows: dict[tuple[Any, ...], dict[str, Any]],
    changed: set[tuple[Any, ...]],
    event: StoredEvent,
    pairs: dict[tuple[str, str], int],
) -> bool:
    key = (event.session_id,)
    row = rows.get(key)
    created = row is None
    if row is None:
        row = rows[key] = {
            "session_id": event.session_id,
            "user_id": event.user_id,
            "store_id": event.store_id,
            "started_at": event.occurred_at,
            "last_at": event.occurred_at,
            "events": 0,
            "ended": 0,
            "recent_items": [],
        }
    changed.add(key)
    row["events"] += 1
    at = event.occurred_at
    if at < row["started_at"]:
        row["started_at"] = at
    if at > row["last_at"]:
        row["last_at"] = at
    if event.type == EventType.SESSION_ENDED:
        row["ended"] = 1
    item = event.item_id
    recent = row["recent_items"]
    if item is not None and event.type in _PAIRING_EVENTS and item not in recent:
        for other in recent:
            pairs[(item, other)] += 1
            pairs[(other, item)] += 1
        row["recent_items"] = (recent + [item])[-RECENT_ITEMS_PER_SESSION:]
    return created


def _history(cache: RowCache, event: StoredEvent) -> None:
    key = (event.user_id, event.item_id)
    row = cache.rows.get(key)
    if row is None:
        row = cache.rows[key] = {
            "user_id": event.user_id,
            "item_id": event.item_id,
            "views": 0,
            "carts": 0,
            "in_cart": 0,
            "purchases": 0,
            "favourites": 0,
            "rating": None,
            "last_type": event.type,
            "last_at": event.occurred_at,
            "last_position": event.position,
            "purchased_at": None,
        }
    cache.changed.add(key)
    kind = event.type
    if kind == EventType.ITEM_VIEWED:
        row["views"] += 1
    elif kind == EventType.ADDED_TO_CART:
        row["carts"] += 1
        row["in_cart"] += int(event.payload.get("quantity", 1))
    elif kind == EventType.REMOVED_FROM_CART:
        row["in_cart"] = max(0, row["in_cart"] - int(event.payload.get("quantity", 1)))
    elif kind == EventType.PURCHASED:
        row["purchases"] += 1
        row["in_cart"] = max(0, row["in_cart"] - int(event.payload.get("quantity", 1)))
        if row["purchased_at"] is None or event.occurred_at > row["purchased_at"]:
            row["purchased_at"] = event.occurred_at
    elif kind == EventType.ITEM_FAVOURITED:
        row["favourites"] += 1
    elif kind == EventType.RATED:
        row["rating"] = float(event.payload["value"])
    if event.occurred_at >= row["last_at"]:  # a late event is not the latest touch
        row["last_type"] = kind
        row["last_at"] = event.occurred_at
        row["last_position"] = event.position
