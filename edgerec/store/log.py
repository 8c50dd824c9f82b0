"""The append-only event log: idempotent appends with gap-free positions, and ordered reads."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, func, select

from edgerec.domain.events import EventType, text_flaw
from edgerec.store.codec import StoredEvent
from edgerec.store.schema import events, forgets
from edgerec.store.sql import compiled, encode_json, insert_tuples, select_in

_READ_COLUMNS = [events.c[name] for name in StoredEvent._fields]
_HEAD = select(func.coalesce(func.max(events.c.position), 0))
# The highest position ever handed out: the head, or the head before a forget removed the
# newest events.
_HIGHEST = select(
    func.coalesce(select(func.max(events.c.position)).scalar_subquery(), 0),
    func.coalesce(select(func.max(forgets.c.log_head)).scalar_subquery(), 0),
)
_FIELDS = StoredEvent._fields
_ROW_FIELDS = itemgetter(*_FIELDS[1:])  # every field but the position, from a log row dict


def head(connection: Connection) -> int:
    """The position of the newest event, 0 for an empty log."""
    statement = compiled(connection.dialect, _HEAD)
    return int(statement.fetch(connection, statement.bind())[0][0])


def highest_position(connection: Connection) -> int:
    """The highest position ever handed out: a new event goes after it, so a position never
    names two events, and a reader tailing the log never misses one (a forget may have
    removed the newest events)."""
    statement = compiled(connection.dialect, _HIGHEST)
    return max(int(value or 0) for value in statement.fetch(connection, statement.bind())[0])


def newest(connection: Connection, count: int, types: Sequence[str]) -> list[StoredEvent]:
    """The newest `count` events of these types by time (of those at one time, the last logged),
    oldest first: a log imported from a file that runs by customer holds them anywhere."""
    query = (
        select(*_READ_COLUMNS)
        .where(events.c.type.in_(list(types)))
        .order_by(events.c.occurred_at.desc(), events.c.position.desc())
        .limit(count)
    )
    return [StoredEvent(*row) for row in connection.execute(query)][::-1]


def existing_positions(connection: Connection, event_ids: Iterable[str]) -> dict[str, int]:
    found = select_in(connection, events, "event_id", event_ids, ("event_id", "position"))
    return {event_id: int(position) for event_id, position in found}


def append(connection: Connection, rows: Sequence[dict[str, Any]]) -> tuple[list[int], list[StoredEvent]]:
    """Appends rows whose event_id is new; must run inside a write transaction.

    Returns the position of every input row (the existing one for a repeated id) and the
    newly stored events, in log order, for the projections to consume.
    """
    next_position = highest_position(connection) + 1
    # A log that never held an event (a first import's first chunk) holds none of these ids.
    known = {} if next_position == 1 else existing_positions(connection, (row["event_id"] for row in rows))
    positions: list[int] = []
    fresh: list[StoredEvent] = []
    values: list[tuple[Any, ...]] = []
    make, dumps = StoredEvent._make, encode_json
    encoded: dict[Any, str | None] = {}  # payloads repeat (a category, a quantity): encode each once
    for row in rows:
        event_id = row["event_id"]
        position = known.get(event_id)
        if position is None:
            position = known[event_id] = next_position
            next_position += 1
            cells = (position, *_ROW_FIELDS(row))
            fresh.append(make(cells))
            payload = cells[-1]
            try:
                # 10 == 10.0 and hash alike: with the values' types in the key neither is
                # stored with the other's text
                key = (*payload.items(), *map(type, payload.values())) if payload else ()
                text = encoded.get(key)
                if text is None:
                    text = encoded[key] = dumps(payload)
            except TypeError:  # an unhashable value, e.g. attributes
                text = dumps(payload)
            values.append((*cells[:-1], text))
        positions.append(position)
    insert_tuples(connection, events, _FIELDS, values)
    return positions, fresh


_LAST = 2**63 - 1
_TYPES = {kind.value for kind in EventType}


def read(
    connection: Connection,
    *,
    since: int = 0,
    limit: int | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    store_id: str | None = None,
    types: Iterable[str] | None = None,
    descending: bool = False,
) -> list[StoredEvent]:
    """Events after position `since`, oldest first (newest first with `descending`); `types`
    is one type or several (none given, as an empty list: no event)."""
    for name, number in (("since", since), ("limit", limit)):
        if number is None and name == "limit":  # no limit; a position since must be given
            continue
        if isinstance(number, bool) or not isinstance(number, numbers.Integral):
            raise TypeError(f"{name} must be a whole number (a log position or a count), not {number!r}")
    for name, value in (("user_id", user_id), ("session_id", session_id), ("store_id", store_id)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} is an id as text, not {value!r:.80}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    # No position or count reaches a 64-bit integer's end, which is all a database column holds;
    # positions start at 1, so any since below is the whole log.
    since, limit = min(max(since, 0), _LAST), (min(limit, _LAST) if limit is not None else None)
    if isinstance(types, str):
        types = [types]
    elif types is not None:
        if not isinstance(types, Iterable) or isinstance(types, bytes | bytearray):
            raise TypeError(f"types must be an event type's name or several, as text, not {types!r:.80}")
        types = list(types)  # read once: a generator would be used up by the checks
    for kind in types or ():
        if not isinstance(kind, str):
            raise TypeError(f"types must be an event type's name or several, as text, not {kind!r:.80}")
    unknown = sorted({str(kind) for kind in types or ()} - _TYPES)
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}: one of {', '.join(sorted(_TYPES))}")
    if types is not None and not types:
        return []  # a filter that left no type (an empty list is no type, not every type)
    if any(value is not None and text_flaw(value) for value in (user_id, session_id, store_id)):
        return []  # no stored id holds a NUL or a surrogate (PostgreSQL refuses to compare with them)
    query = select(*_READ_COLUMNS).where(events.c.position > since)
    if user_id is not None:
        query = query.where(events.c.user_id == user_id)
    if session_id is not None:
        query = query.where(events.c.session_id == session_id)
    if store_id is not None:
        query = query.where(events.c.store_id == store_id)
    if types:
        query = query.where(events.c.type.in_(list(types)))
    order = events.c.position.desc() if descending else events.c.position
    query = query.order_by(order)
    if limit is not None:
        query = query.limit(limit)
    return [StoredEvent(*row) for row in connection.execute(query)]


def read_batches(
    connection: Connection, *, since: int = 0, batch: int = 20_000
) -> Iterator[list[StoredEvent]]:
    """The whole log after `since` in ordered batches, without holding it all in memory."""
    while True:
        rows = read(connection, since=since, limit=batch)
        if not rows:
            return
        yield rows
        since = rows[-1].position
