"""The append-only event log: idempotent appends with gap-free positions, and ordered reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from edgerec.store.codec import StoredEvent
from edgerec.store.schema import events
from edgerec.store.sql import chunks

_READ_COLUMNS = [events.c[name] for name in StoredEvent._fields]
_HEAD = select(func.coalesce(func.max(events.c.position), 0))
_POSITIONS_OF = select(events.c.event_id, events.c.position).where(
    events.c.event_id.in_(bindparam("ids", expanding=True))
)


def head(connection: Connection) -> int:
    """The position of the newest event, 0 for an empty log."""
    return int(connection.execute(_HEAD).scalar_one())


def existing_positions(connection: Connection, event_ids: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(list(event_ids)):
        found.update(connection.execute(_POSITIONS_OF, {"ids": list(chunk)}).tuples().all())
    return found


def append(
    connection: Connection, rows: Sequence[dict[str, Any]]
) -> tuple[list[int], list[StoredEvent]]:
    """Appends rows whose event_id is new; must run inside a write transaction.

    Returns the position of every input row (the existing one for a repeated id) and the
    newly stored events, in log order, for the projections to consume.
    """
    known = existing_positions(connection, (row["event_id"] for row in rows))
    next_position = head(connection) + 1
    positions: list[int] = []
    fresh: list[dict[str, Any]] = []
    for row in rows:
        position = known.get(row["event_id"])
        if position is None:
            position = next_position
            next_position += 1
            known[row["event_id"]] = position
            fresh.append({**row, "position": position})
        positions.append(position)
    if fresh:
        connection.execute(events.insert(), fresh)
    return positions, [_stored(row) for row in fresh]


def read(
    connection: Connection,
    *,
    since: int = 0,
    limit: int | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    types: Sequence[str] | None = None,
    descending: bool = False,
) -> list[StoredEvent]:
    """Events after position `since`, oldest first (newest first with `descending`)."""
    query = select(*_READ_COLUMNS).where(events.c.position > since)
    if user_id is not None:
        query = query.where(events.c.user_id == user_id)
    if session_id is not None:
        query = query.where(events.c.session_id == session_id)
    if types:
        query = query.where(events.c.type.in_(list(types)))
    order = events.c.position.desc() if descending else events.c.position
    query = query.order_by(order)
    if limit is not None:
        query = query.limit(limit)
    return [StoredEvent(*row) for row in connection.execute(query)]


def read_batches(connection: Connection, *, since: int = 0, batch: int = 20_000) -> Iterator[list[StoredEvent]]:
    """The whole log after `since` in ordered batches, without holding it all in memory."""
    while True:
        rows = read(connection, since=since, limit=batch)
        if not rows:
            return
        yield rows
        since = rows[-1].position


def _stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(**{name: row.get(name) for name in StoredEvent._fields})
