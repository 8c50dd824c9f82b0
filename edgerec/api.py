"""The Python API: open a store, record events durably, read the log, rebuild projections."""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select
from sqlalchemy.engine import Dialect

from edgerec.domain import Event
from edgerec.memory import gc_paused
from edgerec.projections import Projector, all_projectors, assign_sessions
from edgerec.projections.base import Shared
from edgerec.store import log, migrate
from edgerec.store.codec import StoredEvent, event_to_row
from edgerec.store.engine import (
    DEFAULT_SYNCHRONOUS,
    close_engine,
    database_url,
    make_engine,
    shown_url,
    sqlite_path,
    write_transaction,
)
from edgerec.store.schema import PROJECTION_TABLES, events, items, projection_positions, quarantine
from edgerec.store.sql import Compiled

# Appends of at least this many rows pause the cyclic garbage collector (see edgerec.memory).
_GC_PAUSE_ROWS = 1_000


@dataclass(frozen=True, slots=True)
class AppendResult:
    positions: list[int]  # one per input row, in input order
    appended: int  # rows that were new to the log


class Store:
    """An event store: the append-only log plus the projections it feeds.

    >>> store = open(":memory:")  # doctest: +SKIP
    """

    def __init__(
        self,
        path_or_url: str | os.PathLike[str] | None = None,
        *,
        synchronous: str = DEFAULT_SYNCHRONOUS,
        upgrade: bool = True,
    ) -> None:
        self.url = database_url(path_or_url)
        self.engine: Engine = make_engine(self.url, synchronous=synchronous)
        self.projectors: list[Projector] = all_projectors()
        if upgrade:
            migrate.upgrade(self.engine)

    @property
    def path(self) -> str | None:
        path = sqlite_path(self.url)
        return str(path) if path else None

    # --- writing ---------------------------------------------------------------------------

    def record(self, event: Event) -> int:
        """Appends one event and updates every projection; durable when it returns.

        Recording an event id that is already in the log writes nothing and returns the
        position the log gave it the first time.
        """
        return self.append_rows([event_to_row(_checked(event))]).positions[0]

    def record_many(self, events_: Iterable[Event]) -> list[int]:
        """Appends events atomically: all of them (each at most once) or none."""
        return self.append_rows([event_to_row(_checked(event)) for event in events_]).positions

    def append_rows(self, rows: Sequence[dict[str, Any]]) -> AppendResult:
        """Appends already-validated log rows (see `store.codec.event_to_row`) in one transaction."""
        if not rows:
            return AppendResult([], 0)
        with gc_paused(len(rows) >= _GC_PAUSE_ROWS), write_transaction(self.engine) as connection:
            shared: Shared = {}  # the users rows, read once for sessions and activity
            assign_sessions(connection, rows, shared)
            positions, fresh = log.append(connection, rows)
            self._project(connection, fresh, shared)
        return AppendResult(positions, len(fresh))

    def _project(
        self, connection: Connection, fresh: list[StoredEvent], shared: Shared | None = None
    ) -> None:
        if not fresh:
            return
        for projector in self.projectors:
            projector.apply(connection, fresh, shared)
        _set_projection_positions(connection, self.projectors, fresh[-1].position)

    def rebuild(self, *, batch: int = 20_000) -> int:
        """Drops every projection and replays the whole log into it; returns events replayed."""
        with write_transaction(self.engine) as connection:
            return self.rebuild_in(connection, batch=batch)

    def rebuild_in(self, connection: Connection, *, batch: int = 20_000) -> int:
        """`rebuild` inside the caller's write transaction, to commit with its other changes."""
        if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
            raise ValueError(f"batch must be a whole number of events, at least 1, not {batch!r}")
        batch = int(batch)  # numpy's too
        for table in PROJECTION_TABLES:
            connection.execute(delete(table))
        connection.execute(delete(projection_positions))
        replayed = 0
        for rows in log.read_batches(connection, batch=batch):
            self._project(connection, rows)
            replayed += len(rows)
        return replayed

    # --- reading ---------------------------------------------------------------------------

    def read(
        self,
        *,
        since: int = 0,
        limit: int | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        store_id: str | None = None,
        types: Iterable[str] | None = None,
        descending: bool = False,
    ) -> list[StoredEvent]:
        """Logged events after position `since`; `.to_event()` gives each typed event back."""
        with self.engine.connect() as connection:
            return log.read(
                connection,
                since=since,
                limit=limit,
                user_id=user_id,
                session_id=session_id,
                store_id=store_id,
                types=types,
                descending=descending,
            )

    def head(self) -> int:
        with self.engine.connect() as connection:
            return log.head(connection)

    def end(self) -> int:
        """The highest position the log has handed out (the newest event's, unless a forget
        removed it): the next event comes after it."""
        with self.engine.connect() as connection:
            return log.highest_position(connection)

    def newest(self, count: int, types: Sequence[str]) -> list[StoredEvent]:
        """The newest `count` events of these types by time (ties: the last logged), oldest first."""
        with self.engine.connect() as connection:
            return log.newest(connection, count, types)

    def projection_positions(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return dict(connection.execute(select(projection_positions)).all())

    def stats(self) -> dict[str, Any]:
        """Counts that describe the store, for `edgerec stats` and the console."""
        with self.engine.connect() as connection:
            by_type = dict(
                connection.execute(select(events.c.type, func.count()).group_by(events.c.type)).all()
            )
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in PROJECTION_TABLES
            }
            quarantined = connection.execute(select(func.count()).select_from(quarantine)).scalar_one()
            listed = connection.execute(
                select(func.count()).select_from(items).where(items.c.status == "listed")
            ).scalar_one()
            return {
                "database": shown_url(self.url),
                "head": log.head(connection),
                "events": sum(by_type.values()),
                "events_by_type": dict(sorted(by_type.items())),
                "quarantined": quarantined,
                "listed_items": listed,  # the catalogue now; projections' items has every item seen
                "projections": counts,
                "projection_positions": dict(connection.execute(select(projection_positions)).all()),
            }

    def close(self) -> None:
        close_engine(self.engine)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@cache
def _set_positions(dialect: Dialect, count: int) -> Compiled:
    names = [bindparam(f"name{i}") for i in range(count)]
    update = projection_positions.update().where(projection_positions.c.name.in_(names))
    return Compiled(update.values(position=bindparam("position")), dialect)


def _set_projection_positions(connection: Connection, projectors: Sequence[Projector], position: int) -> None:
    names = [projector.name for projector in projectors]
    if not names:
        return
    statement = _set_positions(connection.dialect, len(names))
    named = {f"name{i}": name for i, name in enumerate(names)}
    updated = statement.run(connection, [statement.bind(position=position, **named)])
    if updated != len(names):
        known = set(connection.execute(select(projection_positions.c.name)).scalars())
        missing = [{"name": n, "position": position} for n in names if n not in known]
        if missing:
            connection.execute(insert(projection_positions), missing)


def open(path_or_url: str | os.PathLike[str] | None = None, **options: Any) -> Store:  # noqa: A001
    """Opens (and creates or upgrades) the store at a file path or SQLAlchemy URL."""
    return Store(path_or_url, **options)


def _checked(event: object) -> Event:
    if not isinstance(event, Event):
        raise TypeError(
            f"an event to record is an Event (ItemViewed(...), Purchased(...)), not {event!r:.80}"
        )
    return event
