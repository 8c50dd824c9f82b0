"""Portable bulk reads and writes of keyed rows, with statements compiled once per dialect.

SQLAlchemy builds every statement here (Core, dialect-aware: `insert().on_conflict_do_*`
comes from the dialect in use), but the hot path does not pay SQLAlchemy's per-execution and
per-parameter costs (about 35 microseconds a statement, microseconds a row, against a few
for the driver): each statement is compiled once per dialect and run on the DBAPI cursor of
the SQLAlchemy connection, inside its transaction, with plain tuples. Driver errors are
raised as SQLAlchemy's own exception classes, as `Connection.execute` would. JSON columns
are encoded and decoded here for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from operator import add, itemgetter
from typing import Any, TypeVar

from sqlalchemy import JSON, ClauseElement, Column, Connection, Table, and_, bindparam, func, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

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

    __slots__ = ("sql", "names", "positional", "order", "bound")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.positional = bool(dialect.positional)
        self.names = tuple(compiled.positiontup or ()) if self.positional else tuple(compiled.params)
        self.order: list[int] | None = None  # where each parameter comes from in the values given
        # The values SQLAlchemy bound itself (a literal, the OFFSET 0 that SQLite's LIMIT takes).
        self.bound = dict(compiled.params)

    def bind(self, **values: Any) -> list[Any]:
        """Parameter values in `names` order, by name; the ones not given keep their bound value."""
        bound = self.bound
        return [values[name] if name in values else bound[name] for name in self.names]

    def params(self, values: Sequence[Any]) -> tuple[Any, ...] | dict[str, Any]:
        """Parameters for the driver from values given in `names` order."""
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def run(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """Runs the statement once per row; returns the rows it changed."""
        if not rows:
            return 0
        if self.positional:
            params: Any = (
                rows if isinstance(rows, list) and isinstance(rows[0], tuple) else [tuple(r) for r in rows]
            )
        else:
            params = [dict(zip(self.names, r, strict=True)) for r in rows]
        if len(params) == 1:
            return execute(connection, self.sql, params[0]).rowcount
        return execute(connection, self.sql, params, many=True).rowcount

    def fetch(self, connection: Connection, values: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query, its parameters given in `names` order."""
        return execute(connection, self.sql, self.params(values)).fetchall()


def execute(connection: Connection, sql: str, params: Any, *, many: bool = False) -> Any:
    """Runs driver SQL on the connection's DBAPI cursor, in its transaction; returns the cursor."""
    cursor = connection.connection.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
    except connection.dialect.loaded_dbapi.Error as exc:
        base = connection.dialect.loaded_dbapi.Error
        raise DBAPIError.instance(sql, params, exc, base, dialect=connection.dialect) from exc
    return cursor


@cache
def compiled(dialect: Dialect, statement: ClauseElement) -> Compiled:
    """`statement` (a module-level constant) compiled once for `dialect`."""
    return Compiled(statement, dialect)


@cache
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


@cache
def _key_names(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.primary_key.columns)


@cache
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
        result = Compiled(table.insert().values(params), dialect)
    else:
        statement = _dialect_insert(dialect, table).values(params)
        keys = _key_names(table)
        if conflict == "ignore":
            result = Compiled(statement.on_conflict_do_nothing(index_elements=keys), dialect)
        else:  # "add": counters of an existing row grow by the new row's values; "replace";
            # "fill": an existing row's empty (NULL) columns take the new row's values.
            values = [name for name in names if name not in keys]
            if conflict == "add":
                updated = {name: table.c[name] + statement.excluded[name] for name in values}
            elif conflict == "fill":
                updated = {name: func.coalesce(table.c[name], statement.excluded[name]) for name in values}
            else:
                updated = {name: statement.excluded[name] for name in values}
            # A row with nothing to fill is left unwritten (an interaction with a known item).
            fills = [table.c[n].is_(None) & statement.excluded[n].is_not(None) for n in values]
            where = or_(*fills) if conflict == "fill" else None
            result = Compiled(
                statement.on_conflict_do_update(index_elements=keys, set_=updated, where=where), dialect
            )
    # Where each parameter comes from in a row given in `names` order (None: the same order).
    position = {f"p_{name}": i for i, name in enumerate(names)}
    order = [position[name] for name in result.names]
    result.order = None if order == list(range(len(names))) else order
    return result


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
    keys = _key_names(table)
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
        out.extend(statement.fetch(connection, ordered))
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
    names, key_names = _columns(table), _key_names(table)
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
        for record in stmt.fetch(connection, ordered):
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
    order = statement.order
    if order is not None:
        values = [tuple(v[i] for i in order) for v in values]
    statement.run(connection, values)


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict: str | None = None,
) -> None:
    """Inserts rows (dicts with the same keys); on_conflict: None, "ignore", "add" (counters
    grow), "replace" (the new row's values win) or "fill" (they fill the existing row's empty
    columns)."""
    if not rows:
        return
    json_names = _json_columns(table)
    names, encoded, plain, json_in_middle = _insert_layout(table, tuple(rows[0]))
    if json_in_middle:
        values = _tuples(rows, names, json_names)  # JSON columns in the middle: column by column
    else:
        values = list(map(itemgetter(*plain), rows)) if len(plain) > 1 else [(row[plain[0]],) for row in rows]
    if encoded and not json_in_middle:
        # Tuples of the plain columns, then the JSON ones appended: C loops, not Python ones.
        json_columns = [[None if (v := row[n]) is None else _dumps(v) for row in rows] for n in encoded]
        values = list(map(add, values, zip(*json_columns, strict=True)))
    insert_tuples(connection, table, names, values, on_conflict=on_conflict)


@cache
def _insert_layout(
    table: Table, given: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]:
    """Columns to insert in table order (the order SQLAlchemy compiles VALUES in, so tuples
    need no reordering), the JSON ones among them, the plain ones before those, and whether
    a JSON column comes before a plain one."""
    json_names = _json_columns(table)
    names = tuple(name for name in _columns(table) if name in given)
    encoded = tuple(name for name in names if name in json_names)
    plain = names[: len(names) - len(encoded)]
    return names, encoded, plain, bool(encoded and set(plain) & json_names)


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
    key_names = _key_names(table)
    value_names = tuple(name for name in updated[0] if name not in key_names)
    statement = _update(connection.dialect, table, value_names)
    values = _tuples(updated, _update_columns(statement), _json_columns(table))
    statement.run(connection, values)


@cache
def _update_columns(statement: Compiled) -> tuple[str, ...]:
    """The column behind each parameter of an update (bound as key_<name> or value_<name>)."""
    return tuple(name.partition("_")[2] for name in statement.names)
