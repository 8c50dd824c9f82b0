"""What a projection is: a read model fed batches of new log events inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table

from edgerec.store.codec import StoredEvent
from edgerec.store.sql import load_rows, save_rows

# Row caches that several steps of one append share (the users rows: sessions are assigned
# from them, then the activity projection updates them), keyed by table name.
Shared = dict[str, "RowCache"]


class Projector(Protocol):
    name: str
    tables: tuple[Table, ...]

    def apply(
        self, connection: Connection, batch: Sequence[StoredEvent], shared: Shared | None = None
    ) -> None:
        """Folds `batch` (new events, in log order) into the projection's tables."""


class RowCache:
    """Rows of one table touched by a batch: loaded once, changed in memory, saved once.

    Projections read and write `rows` directly and add changed keys to `changed`: the hot
    loops stay free of method calls.
    """

    __slots__ = ("table", "rows", "existing", "changed", "asked")

    def __init__(self, connection: Connection, table: Table, keys: Iterable[tuple[Any, ...]]) -> None:
        self.table = table
        self.asked = set(keys)  # keys looked up, found or not
        self.rows = load_rows(connection, table, self.asked)
        self.existing = set(self.rows)
        self.changed: set[tuple[Any, ...]] = set()

    @classmethod
    def shared(
        cls, shared: Shared | None, connection: Connection, table: Table, keys: Iterable[tuple[Any, ...]]
    ) -> RowCache:
        """The batch's cache of `table` (created, or extended with keys not loaded yet)."""
        cache = shared.get(table.name) if shared is not None else None
        if cache is None:
            cache = cls(connection, table, keys)
            if shared is not None:
                shared[table.name] = cache
            return cache
        missing = set(keys) - cache.asked
        if missing:
            cache.asked |= missing
            loaded = load_rows(connection, table, missing)
            cache.rows.update(loaded)
            cache.existing.update(loaded)
        return cache

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.rows.get(key)

    def put(self, key: tuple[Any, ...], row: dict[str, Any]) -> dict[str, Any]:
        self.rows[key] = row
        self.changed.add(key)
        return row

    def touch(self, key: tuple[Any, ...]) -> dict[str, Any]:
        self.changed.add(key)
        return self.rows[key]

    def save(self, connection: Connection) -> None:
        rows, changed = self.rows, self.changed
        fresh = changed - self.existing  # set operations: C loops, not a Python test per key
        inserted = [rows[k] for k in fresh]
        updated = [rows[k] for k in changed - fresh] if len(fresh) < len(changed) else []
        save_rows(connection, self.table, inserted, updated)
        self.existing.update(self.changed)
        self.changed.clear()
