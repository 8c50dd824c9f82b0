"""Small portable helpers for bulk reads and writes of keyed rows.

Statements are built once per table and reused, so that a single-event append pays for
SQLAlchemy's compiled-statement cache lookups only, not for building expressions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, Update, and_, bindparam, select, tuple_

T = TypeVar("T")
# SQLite allows 32,766 bound parameters per statement; stay far below for composite keys.
CHUNK = 500


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@cache
def _select_by_keys(table: Table) -> Select[Any]:
    key_columns = list(table.primary_key.columns)
    keys = bindparam("keys", expanding=True)
    if len(key_columns) == 1:
        return select(table).where(key_columns[0].in_(keys))
    return select(table).where(tuple_(*key_columns).in_(keys))


@cache
def _update_by_key(table: Table, value_names: tuple[str, ...]) -> Update:
    key_names = [column.name for column in table.primary_key.columns]
    return (
        table.update()
        .where(and_(*(table.c[name] == bindparam(f"key_{name}") for name in key_names)))
        .values({name: bindparam(f"value_{name}") for name in value_names})
    )


def load_rows(
    connection: Connection, table: Table, keys: Iterable[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows of `table` whose primary key is in `keys`, keyed by that primary key."""
    names = [column.name for column in table.primary_key.columns]
    wanted = list(dict.fromkeys(keys))
    if len(names) == 1:
        wanted = [key[0] for key in wanted]
    statement = _select_by_keys(table)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for chunk in chunks(wanted):
        for row in connection.execute(statement, {"keys": list(chunk)}).mappings():
            found[tuple(row[name] for name in names)] = dict(row)
    return found


def save_rows(
    connection: Connection,
    table: Table,
    inserted: Sequence[dict[str, Any]],
    updated: Sequence[dict[str, Any]],
) -> None:
    """Inserts new rows and updates existing ones (matched on the primary key) in bulk."""
    if inserted:
        connection.execute(table.insert(), list(inserted))
    if updated:
        key_names = [column.name for column in table.primary_key.columns]
        value_names = tuple(name for name in updated[0] if name not in key_names)
        params = [
            {**{f"key_{n}": row[n] for n in key_names}, **{f"value_{n}": row[n] for n in value_names}}
            for row in updated
        ]
        connection.execute(_update_by_key(table, value_names), params)
