"""What a projection is: a read model fed batches of new log events inside their transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table

from edgerec.store.codec import StoredEvent
from edgerec.store.sql import load_rows, save_rows


class Projector(Protocol):
    name: str
    tables: tuple[Table, ...]

    def apply(self, connection: Connection, batch: Sequence[StoredEvent]) -> None:
        """Folds `batch` (new events, in log order) into the projection's tables."""


class RowCache:
    """Rows of one table touched by a batch: loaded once, changed in memory, saved once."""

    def __init__(self, connection: Connection, table: Table, keys: list[tuple[Any, ...]]) -> None:
        self.table = table
        self.rows = load_rows(connection, table, keys)
        self.existing = set(self.rows)
        self.changed: set[tuple[Any, ...]] = set()

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
        inserted = [self.rows[k] for k in self.changed if k not in self.existing]
        updated = [self.rows[k] for k in self.changed if k in self.existing]
        save_rows(connection, self.table, inserted, updated)
