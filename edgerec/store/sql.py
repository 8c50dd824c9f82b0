"""Portable bulk reads and writes of keyed rows, with statements compiled once per dialect.

SQLAlchemy builds every statement here (Core, dialect-aware: `insert().on_conflict_do_*`
comes from the dialect in use), but the hot path does not pay SQLAlchemy's per-execution and
per-parameter costs (tens of microseconds a statement, microseconds a row): each statement
is compiled once per dialect and run with `exec_driver_sql` and plain tuples. JSON columns
are encoded and decoded here for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from operator import add, itemgetter
from typing import Any, TypeVar

from sqlalchemy import JSON, ClauseElement, Column, Connection, Table, and_, bindparam, or_, select
from sqlalchemy.engine import Dialect

T = TypeVar("T")
# Keys per lookup statement: one statement for a single event, few for a large batch, and
# far below the bound-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
CHUNK = 500
_SIZES = (1, 4, 16, 64, 250, CHUNK)
_PAIR_SIZES = (1, 4, 16, 64, 200)


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Compiled:
    """A statement compiled for one dialect, run with tuples in a fixed parameter order."""

    __slots__ = ("sql", "names", "positional", "order")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(dialect.positional)
        self.names = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.params)
        self.order: list[int] | None = None  # lookups: where each parameter comes from

    def params(self, values: Sequence[Any]) -> tuple[Any, ...] | dict[str, Any]:
        """Parameters for the driver from values given in `names` order."""
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def run(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> Any:
        if not rows:
            return None
        if self.positional:
            params: Any = (
                rows if isinstance(rows, list) and isinstance(rows[0], tuple) else [tuple(r) for r in rows]
            )
        else:
            params = [dict(zip(self.names, r, strict=True)) for r in rows]
        if len(params) == 1:
            return connection.exec_driver_sql(self.sql, params[0])
        return connection.exec_driver_sql(self.sql, params)


def _json_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, JSON))


_dumps = json.dumps  # the shared default encoder: the fastest path in the json module


def encode_json(value: Any) -> str | None:
    return None if value is None else _dumps(value)


def decode_json(value: Any) -> Any:
    # SQLite hands back the text; PostgreSQL drivers already decode json columns.
    return json.loads(value) if isinstance(value, str | bytes) else value


# --- statements, built once per (dialect, table, shape) ------------------------------------


@cache
def _insert(dialect: Dialect, table: Table, names: tuple[str, ...], conflict: str | None) -> Compiled:
    # Bind names differ from column names: SQLAlchemy reserves those for its own VALUES.
    params = {name: bindparam(f"p_{name}") for name in names}
    if conflict is None:
        return Compiled(table.insert().values(params), dialect)
    statement = _dialect_insert(dialect, table).values(params)
    keys = [c.name for c in table.primary_key.columns]
    if conflict == "ignore":
        return Compiled(statement.on_conflict_do_nothing(index_elements=keys), dialect)
    # "add": counters of an existing row grow by the new row's values.
    added = {name: table.c[name] + statement.excluded[name] for name in names if name not in keys}
    return Compiled(statement.on_conflict_do_update(index_elements=keys, set_=added), dialect)


def _dialect_insert(dialect: Dialect, table: Table) -> Any:
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"upserts on {dialect.name}")
    return insert(table)


@cache
def _update(dialect: Dialect, table: Table, names: tuple[str, ...]) -> Compiled:
    keys = [c.name for c in table.primary_key.columns]
    statement = (
        table.update()
        .where(and_(*(table.c[k] == bindparam(f"key_{k}") for k in keys)))
        .values({name: bindparam(f"value_{name}") for name in names})
    )
    return Compiled(statement, dialect)


@cache
def _select_in(
    dialect: Dialect, table: Table, key: str, size: int, columns: tuple[str, ...] = ()
) -> Compiled:
    wanted = [bindparam(f"k{i}") for i in range(size)]
    column: Column[Any] = table.c[key]
    selected = [table.c[name] for name in columns] if columns else [table]
    return Compiled(select(*selected).where(column.in_(wanted)), dialect)


def select_in(
    connection: Connection, table: Table, key: str, values: Iterable[Any], columns: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    """`columns` of the rows whose `key` is one of `values` (no JSON decoding)."""
    wanted = list(dict.fromkeys(values))
    out: list[tuple[Any, ...]] = []
    for part in chunks(wanted):
        statement = _select_in(connection.dialect, table, key, _bucket(len(part), _SIZES), columns)
        padded = list(part) + [part[-1]] * (len(statement.names) - len(part))
        ordered = _order(statement, padded, 1)
        out.extend(connection.exec_driver_sql(statement.sql, statement.params(ordered)).fetchall())
    return out


@cache
def _select_pairs(dialect: Dialect, table: Table, size: int) -> Compiled:
    a, b = (c for c in table.primary_key.columns)
    pairs = [and_(a == bindparam(f"a{i}"), b == bindparam(f"b{i}")) for i in range(size)]
    return Compiled(select(table).where(or_(*pairs)), dialect)


def _bucket(count: int, sizes: Sequence[int]) -> int:
    for size in sizes:
        if count <= size:
            return size
    return sizes[-1]


# --- reads and writes ------------------------------------------------------------------------


def load_rows(
    connection: Connection, table: Table, keys: Iterable[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows of `table` whose primary key is in `keys`, keyed by that primary key."""
    dialect = connection.dialect
    key_names = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    json_names = _json_columns(table)
    wanted = list(dict.fromkeys(keys))
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    if not wanted:
        return found
    key_index = [names.index(k) for k in key_names]
    if len(key_names) == 1:
        flat = [k[0] for k in wanted]
        groups = [
            (part, _select_in(dialect, table, key_names[0], _bucket(len(part), _SIZES)))
            for part in chunks(flat)
        ]
        params = [list(part) + [part[-1]] * (len(stmt.names) - len(part)) for part, stmt in groups]
    else:
        size = _PAIR_SIZES[-1]
        groups = [
            (part, _select_pairs(dialect, table, _bucket(len(part), _PAIR_SIZES)))
            for part in chunks(wanted, size)
        ]
        params = []
        for part, stmt in groups:
            padded = list(part) + [part[-1]] * (len(stmt.names) // 2 - len(part))
            params.append([v for pair in padded for v in pair])
    for (_part, stmt), values in zip(groups, params, strict=True):
        ordered = _order(stmt, values, len(key_names))
        for record in connection.exec_driver_sql(stmt.sql, stmt.params(ordered)).fetchall():
            row = dict(zip(names, record, strict=True))
            for name in json_names:
                row[name] = decode_json(row[name])
            found[tuple(record[i] for i in key_index)] = row
    return found


def _order(stmt: Compiled, values: list[Any], key_count: int) -> list[Any]:
    """Values in the statement's parameter order (named k0.., or a0, b0, a1, b1..)."""
    order = stmt.order
    if order is None:
        index = {f"k{i}": i for i in range(len(values))}
        if key_count > 1:
            index = {f"{ab}{i}": 2 * i + j for i in range(len(values) // 2) for j, ab in enumerate("ab")}
        order = stmt.order = [index[name] for name in stmt.names]
    if order == sorted(order):
        return values
    return [values[i] for i in order]


def _tuples(
    rows: Sequence[dict[str, Any]], names: Sequence[str], json_names: frozenset[str]
) -> list[tuple[Any, ...]]:
    """Rows as tuples in `names` order, JSON columns encoded: column by column."""
    columns = []
    for name in names:
        column = [row[name] for row in rows]
        if name in json_names:
            column = [None if v is None else _dumps(v) for v in column]
        columns.append(column)
    return list(zip(*columns, strict=True))


def insert_tuples(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    values: list[tuple[Any, ...]],
    *,
    on_conflict: str | None = None,
) -> None:
    """Inserts rows given as tuples in `names` order (JSON columns already encoded)."""
    if not values:
        return
    statement = _insert(connection.dialect, table, names, on_conflict)
    position = {f"p_{name}": i for i, name in enumerate(names)}
    order = [position[name] for name in statement.names]
    if order != list(range(len(names))):
        values = [tuple(v[i] for i in order) for v in values]
    statement.run(connection, values)


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict: str | None = None,
) -> None:
    """Inserts rows (dicts with the same keys); on_conflict: None, "ignore", or "add" (counters)."""
    if not rows:
        return
    json_names = _json_columns(table)
    given = rows[0].keys()
    # Table order: the order SQLAlchemy compiles VALUES in, so tuples need no reordering.
    names = tuple(c.name for c in table.columns if c.name in given)
    encoded = [n for n in names if n in json_names]
    plain = names[: len(names) - len(encoded)]
    if encoded and set(plain) & json_names:
        values = _tuples(rows, names, json_names)  # JSON columns in the middle: column by column
    else:
        values = list(map(itemgetter(*plain), rows)) if len(plain) > 1 else [(row[plain[0]],) for row in rows]
    if encoded and not set(plain) & json_names:
        # Tuples of the plain columns, then the JSON ones appended: C loops, not Python ones.
        json_columns = [[None if (v := row[n]) is None else _dumps(v) for row in rows] for n in encoded]
        values = list(map(add, values, zip(*json_columns, strict=True)))
    insert_tuples(connection, table, names, values, on_conflict=on_conflict)


def save_rows(
    connection: Connection,
    table: Table,
    inserted: Sequence[dict[str, Any]],
    updated: Sequence[dict[str, Any]],
) -> None:
    """Inserts new rows and updates existing ones (matched on the primary key) in bulk."""
    insert_rows(connection, table, inserted)
    if not updated:
        return
    key_names = [c.name for c in table.primary_key.columns]
    value_names = tuple(name for name in updated[0] if name not in key_names)
    statement = _update(connection.dialect, table, value_names)
    names = [name.partition("_")[2] for name in statement.names]
    values = _tuples(updated, names, _json_columns(table))
    statement.run(connection, values)
