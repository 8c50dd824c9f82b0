"""The joins a refusal gives for one table of a release that keeps an order's lines, the order
and what was said of it apart (Instacart's order_products__prior.csv and orders.csv; Olist's
order items, orders, customers, reviews and payments) or a category's names in another language
(Olist's translation): read by the headers of the files beside it, the pandas line that joins
them and the `edgerec import` command that reads what it writes."""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from edgerec.domain import EventType
from edgerec.ingest.batch import header_key
from edgerec.ingest.columns import (
    ORDER_COLUMNS,
    UNDATED_DAY,
    ColumnMapping,
    event_times,
    later_step,
    missing_fields,
    resolve_columns,
)
from edgerec.ingest.errors import FormatError
from edgerec.ingest.pandas_lines import pandas_read, unused_name
from edgerec.ingest.streams import JSON_LINES_SUFFIXES, data_suffix
from edgerec.ingest.text import head_lines, json_loads, sniff_delimiter
from edgerec.ingest.workbook import is_workbook

# One side of a join: a file of the release, several read as one (Instacart's order lines, prior
# and train), or a name standing for a file of the release (OTHER).
_Side = str | Path | tuple[Path, ...]


def joined_hint(names: Sequence[str], lacking: Sequence[str], path: Path, encoding: str) -> str:
    """Where a file names an order and lacks a column for its items, its customer or both: one
    table of a release that keeps an order's lines, the order itself and what was said of it
    apart (Instacart's order_products__prior.csv and orders.csv; Olist's order items, orders and
    order reviews). It was told to give a default type and a day for undated rows, as a file of
    events is, which import no order's customer."""
    order = next((name for name in names if header_key(name) in ORDER_COLUMNS), None)
    if order is None or ("user" not in lacking and "item" not in lacking):
        return ""
    score = None
    release = _release_headers(path, encoding)
    others: dict[_Side, str] = {"OTHER": order}
    if "item" not in lacking:
        holds, other = "items", "customer and time are in another file"
        orders = _release_file(release, order, has_user=True)
        if orders is not None:
            others = {orders: order} | _customers_join(release, release[orders])
            if len(others) > 1:
                other = "customer and time are in other files"
    elif "user" not in lacking:
        holds, other = "customers", "items are in another file"
        items = _release_files(release, order, has_user=False)
        if items:
            others = {tuple(items) if len(items) > 1 else items[0]: order} | _customers_join(release, names)
            if len(others) > 1 or len(items) > 1:
                other = "items are in other files"
    else:
        score = next(
            (n for n in names if any(w in header_key(n) for w in ("score", "rating", "stars"))), None
        )
        if score is None:  # joined, its rows would be the order items' purchases again, repeated
            return (
                f"; the file holds orders' records by {order!r} (Olist's payments), with no customer, item "
                "or rating: it adds no event to the orders' items, which are imported joined to the "
                "orders (their customers and times), so import those instead"
            )
        holds, other = "reviews", "customer and items are in other files"
        others = _reviews_joins(release, order)
    # The other files are read as this one is: a release's files share their delimiter (a
    # semicolon's read with commas had no column to join on).
    suffix = _release_suffix(path)
    joins = "".join(
        f".merge({_pandas_side(path, encoding, name, suffix)}, on={json.dumps(on)})"
        for name, on in others.items()
    )
    written = unused_name(path, "joined.csv")
    program = f"import pandas as pd; {pandas_read(path, encoding)}{joins}"
    program += f".to_csv({json.dumps(written)}, index=False)"
    on_columns = " and ".join(map(repr, dict.fromkeys(others.values())))
    command = _joined_import(names, others, release, score, suffix, written)
    return (
        f"; the file holds orders' {holds} by {order!r}, and each order's {other} of its release: "
        f"join them on {on_columns} first, for example with python3 -c {shlex.quote(program)}"
        f"{_being(others, suffix)}, then import what it writes{command}"
    )


def _joined_import(
    names: Sequence[str],
    others: Mapping[_Side, str],
    release: Mapping[Path, Sequence[str]],
    score: str | None,
    suffix: str,
    written: str,
) -> str:
    """The `edgerec import` command that reads the file a join writes (`written`), by its
    columns: the customer, the item, the time (a review's own, else its order's before its
    shipping's) and a review's rating (`score`), or else every line a purchase; undated where
    none of the files joined names a time. Where the join reads a file standing for one of the release
    (OTHER.csv), the columns it adds are found by their names, or named by the user. Told only
    to import joined.csv, its refusal named Olist's shipping deadline for the time."""
    joined = _joined_columns(names, others, release)
    columns = names if joined is None else joined
    times = [*event_times(names), *event_times(columns)] if score else event_times(columns)
    if joined is None:  # the order's time may be in the file standing for the release's, not its shipping's
        times = [time for time in times if not later_step(time)]
    options = {
        "user": _column_of("user", columns),
        "item": _column_of("item", columns),
        "timestamp": next(iter(times), None),
        "value": score,
        "default_type": None if score else EventType.PURCHASED.value,
    }
    told = ""
    if joined is None:
        unread = [field for field in ("user", "item", "timestamp") if options[field] is None]
        standing = " or ".join(_named(name, suffix) for name in others if isinstance(name, str))
        if unread:
            named = " or ".join(f"--map {field}=COLUMN" for field in unread)
            told = f" (adding {named} where {standing} names it under a name of its own)"
    elif options["timestamp"] is None:
        options["undated"] = UNDATED_DAY
        told = " (no file joined names a time: its rows are dated from the undated day on, in their order)"
    given = "".join(
        f" --map {shlex.quote(f'{field}={column}')}" for field, column in options.items() if column
    )
    return f"{told}: edgerec import {shlex.quote(written)}{given}"


def _joined_columns(
    names: Sequence[str], others: Mapping[_Side, str], release: Mapping[Path, Sequence[str]]
) -> list[str] | None:
    """The columns of the file a join writes, as pandas names them (a column of both sides of a
    merge but the one it is on as NAME_x and NAME_y); None where a file joined stands for one of
    the release (OTHER.csv), its columns unknown."""
    joined = list(names)
    for other, on in others.items():
        if isinstance(other, str):
            return None
        # files read as one: pandas' concat keeps each column once, in the order first read
        files = other if isinstance(other, tuple) else (other,)
        columns = list(dict.fromkeys(name for file in files for name in release[file]))
        both = (set(joined) & set(columns)) - {on}
        joined = [f"{name}_x" if name in both else name for name in joined] + [
            f"{name}_y" if name in both else name for name in columns if name != on
        ]
    return joined


def _reviews_joins(release: Mapping[Path, Sequence[str]], order: str) -> dict[_Side, str]:
    """The files a file of orders' reviews is joined to, each with the column it is joined on:
    the orders and their items beside it, and the customers where the orders' headers and theirs
    have the columns of that join (Olist's customer_id); else ORDERS and ORDER_ITEMS, standing
    for the release's orders and their items. A join on a column that a release's files lack
    (orders that name the person, no customers file) ended in KeyError."""
    orders = _release_file(release, order, has_user=True)
    items = _release_file(release, order, has_user=False)
    if orders is None or items is None:
        return {"ORDERS": order, "ORDER_ITEMS": order}
    return {orders: order, items: order} | _customers_join(release, release[orders])


def _customers_join(release: Mapping[Path, Sequence[str]], orders: Sequence[str]) -> dict[_Side, str]:
    """The customers file of the release, with the customer column of the orders (`orders`,
    their columns) it is joined on, where the orders name a customer of each order's own
    (Olist's customer_id) and a file beside them names the person of each (customer_unique_id,
    the customer an import reads); {} else.
    Joined to the orders alone, one person's orders were as many customers'."""
    customer = _column_of("user", orders)
    if customer is None or header_key(customer) == _PERSON:
        return {}
    for other, names in release.items():
        keys = {header_key(name) for name in names}
        if {header_key(customer), _PERSON} <= keys and not keys & ORDER_COLUMNS:  # not the orders
            return {other: customer}
    return {}


_PERSON = header_key("customer_unique_id")


def _release_file(release: Mapping[Path, Sequence[str]], order: str, *, has_user: bool) -> Path | None:
    """The first of `_release_files`; None where there is none."""
    return next(iter(_release_files(release, order, has_user=has_user)), None)


def _release_files(release: Mapping[Path, Sequence[str]], order: str, *, has_user: bool) -> list[Path]:
    """The files of the release that name orders by `order` and their customer (the orders,
    `has_user`) or their items (the orders' items: Instacart's prior and train order lines),
    not both: a file of both is no table of the release but one a join wrote (joined.csv),
    which a join read for the items would write over."""
    found = []
    for other, names in release.items():
        if header_key(order) in {header_key(name) for name in names}:
            user, item = _column_of("user", names), _column_of("item", names)
            if (user is None) != (item is None) and (user is not None) == has_user:
                found.append(other)
    return found


def _column_of(field: str, names: Sequence[str]) -> str | None:
    """A header's column for `field`, under its common names; None where it has none."""
    resolved = resolve_columns(ColumnMapping(), names)
    return None if missing_fields(resolved, names, (field,)) else getattr(resolved, field)


# The files of a folder whose headers are read for a join: a folder of downloads may hold many.
_RELEASE_FILES = 50


def _release_headers(path: Path, encoding: str) -> dict[Path, list[str]]:
    """The other files beside `path` written as it is (its data's suffix, read by its delimiter
    and encoding), each with its header's column names: the release's other tables."""
    suffix = data_suffix(path)
    found: dict[Path, list[str]] = {}
    try:
        others = sorted(p for p in path.parent.iterdir() if p != path and data_suffix(p) == suffix)
    except OSError:  # a folder that cannot be listed shows no release
        return found
    for other in others[:_RELEASE_FILES]:
        if other.is_file() and (names := _header_of(other, encoding)):
            found[other] = names
    return found


def _header_of(path: Path, encoding: str) -> list[str]:
    """A text file's column names, by its delimiter (a JSON lines file's: its first object's
    keys; a Parquet file's: its schema's); [] where it cannot be read."""
    try:
        if data_suffix(path) == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        head = head_lines(path, 10, encoding)
        if data_suffix(path) in JSON_LINES_SUFFIXES:
            first = json_loads(head[0]) if head else {}
            return list(first) if isinstance(first, dict) else []
        return next(csv.reader(head[:1], delimiter=sniff_delimiter(head)), []) if head else []
    except (OSError, ValueError, csv.Error, FormatError):  # not a table: no part of a join
        return []


def _pandas_side(path: Path, encoding: str, side: _Side, suffix: str) -> str:
    """The pandas call that reads one side of a join (several files as one, by pd.concat), each
    file written as `path` is."""
    if isinstance(side, tuple):
        return f"pd.concat([{', '.join(pandas_read(path, encoding, str(file)) for file in side)}])"
    return pandas_read(path, encoding, _named(side, suffix))


def _named(name: str | Path, suffix: str) -> str:
    """The file a join's program reads: a file of the release by its path as given, else a
    name standing for one (ORDERS.csv)."""
    return str(name) if isinstance(name, Path) else name + suffix


def _release_suffix(path: Path) -> str:
    """How the name of another file of the file's release ends, which the pandas lines read as
    they read this one: `.xlsx` (a workbook), `.parquet`, `.jsonl` (JSON lines) or `.csv` (any
    text file)."""
    if is_workbook(path):
        return ".xlsx"
    suffix = data_suffix(path)
    return suffix if suffix == ".parquet" or suffix in JSON_LINES_SUFFIXES else ".csv"


def _being(others: Mapping[_Side, str], suffix: str) -> str:
    """What the files of a join's program stand for, or where a release's file joined names the
    person."""
    names = list(others)
    if len(names) == 1 and isinstance(names[0], str):
        return f" ({names[0]}{suffix} being that file)"
    if isinstance(names[0], str):
        orders, items = names
        return (
            f" ({orders}{suffix} being the orders and {items}{suffix} their items: Olist's "
            "olist_orders_dataset.csv and olist_order_items_dataset.csv; beside the file, its "
            "customers are joined too where its orders' customer_id is one per order)"
        )
    order = others[names[0]]
    customers = next((name for name, on in others.items() if on != order), None)
    if not isinstance(customers, Path):
        return ""
    return f" ({customers.name} names the person, customer_unique_id, of each order's {others[customers]})"


# How a column of names in another language ends (Olist's product_category_name_english).
_LANGUAGE_SUFFIXES = ("english", "eng", "en", "translation", "translated")


def translated_category(names: Sequence[str]) -> tuple[str, str] | None:
    """A category's name and the column of its name in another language, its name's and a
    language's (Olist's product_category_name and product_category_name_english); None if none."""
    keys = {header_key(name): name for name in names}
    return next(
        (
            (keys[key[: -len(suffix)]], name)
            for name in names
            for suffix in _LANGUAGE_SUFFIXES
            if (key := header_key(name)).endswith(suffix) and key[: -len(suffix)] in keys
        ),
        None,
    )


def translation_hint(path: Path, encoding: str, name: str, translated: str) -> str:
    """How to put a list's translated names onto the items' file, which names each item's
    category in `name`: a join of the two files on it (the items' file beside the list by its
    name, told by its headers, else PRODUCTS standing for it), and the `edgerec import` command
    that lists the items it writes under the translated category."""
    release = _release_headers(path, encoding)
    # a file of items naming the translated names too (products.csv as a join wrote it) is none to join
    products: str | Path = next(
        (other for other, columns in release.items() if name in columns and not translated_category(columns)),
        "PRODUCTS",
    )
    suffix = _release_suffix(path)
    written = unused_name(path, "products.csv")
    program = (
        f"import pandas as pd; {pandas_read(path, encoding, _named(products, suffix))}"
        f'.merge({pandas_read(path, encoding)}, on={json.dumps(name)}, how="left")'
        f".to_csv({json.dumps(written)}, index=False)"
    )
    being = (
        ""
        if isinstance(products, Path)
        else f" ({products}{suffix} being that file: Olist's olist_products_dataset.csv)"
    )
    given = shlex.quote(f"category={translated}")
    return (
        f": the names of the categories in {name!r} in another language, in {translated!r}. Put them "
        f"onto the file of items, which names each item's category in {name!r}, for example with "
        f"python3 -c {shlex.quote(program)}{being}, then import what it writes: edgerec import "
        f"{shlex.quote(written)} --format catalogue --map {given}"
    )
