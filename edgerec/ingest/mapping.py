"""Column mappings: which source column holds each event field, how a file's columns are found,
checked and typed, and what a refusal says to do (the readers are in `readers`).

A ColumnMapping names the source column for each event field; `actions` maps the source's
action names to event types. Typed values (JSON, Parquet) are used as they are; text is parsed.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from edgerec.domain import EventType, number_id, text_id
from edgerec.domain.events import EARLIEST, latest_allowed
from edgerec.ingest import convert
from edgerec.ingest.batch import RECBOLE_TYPES, header_key, map_actions, merge
from edgerec.ingest.errors import FormatError
from edgerec.ingest.streams import data_suffix, marked_encoding
from edgerec.ingest.text import head_lines
from edgerec.ingest.validate import ID_COLUMNS, PAYLOAD_COLUMNS, Problem
from edgerec.ingest.workbook import is_workbook, unread_sheets
from edgerec.store.codec import to_micros

_NUMERIC = {"quantity": "int", "stock": "int", "price_paid": "price", "price": "price", "value": "float"}


JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column holds each event field (None: not in the file).

    Built directly, a mapping names no field: ColumnMapping(item="item_id") is the default one,
    whose columns are looked for under their common names and rules (an order's product before
    its line's item_id). `of` (a dict, --map) names the fields it is given, read as named."""

    user: str | None = "user_id"
    item: str | None = "item_id"
    type: str | None = "type"
    timestamp: str | None = "timestamp"
    session: str | None = "session_id"
    category: str | None = "category"
    quantity: str | None = "quantity"
    price_paid: str | None = "price"
    value: str | None = "rating"
    query: str | None = "query"
    store_id: str | None = None
    location: str | None = None
    device: str | None = None
    time_of_day: str | None = None  # the time of day, where `timestamp` holds only the date
    # The line an order's line is part of (Magento's parent_item_id: a configurable product's
    # child, sold as its parent's line); found in an order's lines where not given.
    parent_line: str | None = None
    # The column naming the order, found where not given: an order's later lines that leave it
    # blank with its customer and time (Odoo's, some WooCommerce exports) take them from its first.
    order: str | None = None
    actions: Mapping[str, str] = field(default_factory=dict)
    default_type: str | None = None  # the event type when there is no type column, or a row's is empty
    timestamp_unit: str = "auto"  # s | ms | us | ns | iso | auto | a strftime layout (%d.%m.%Y %H:%M)
    delimiter: str | None = None  # None: sniffed from the first lines
    header: bool = True
    # quote=none (False): a quote is text like any other character, not around a field (Last.fm's
    # tab-separated `"Weird Al" Yankovic`), as the `::` files of MovieLens are read.
    quote: bool = True
    # Dates such as 01/05/2024: day first (True) or month first (False); None: settled by the
    # file's own dates (one with a day past the 12th), else day first with dots or dashes.
    day_first: bool | None = None
    # A file with no time at all (Book-Crossing's ratings): its rows are dated this day (UTC),
    # a microsecond apart in file order, so that importing it again finds the same events.
    undated: str | None = None
    # The fields a caller named (`of`): a field named as its default column (item=item_id) is
    # read from that column, not from another found by a rule (an order's product beside it).
    named: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """An action or default type that is no event type would quarantine every row it names."""
        if self.undated is not None:
            undated_start_us(self.undated)  # ValueError for a day it cannot be
        known = [t.value for t in EventType]
        named = [*self.actions.items(), *([("default_type", self.default_type)] if self.default_type else [])]
        for source, kind in named:
            if kind not in known:
                raise ValueError(f"{source}={kind}: {kind!r} is not an event type; known: {', '.join(known)}")
        if self.timestamp_unit not in (*convert.UNITS, "iso", "auto") and "%" not in self.timestamp_unit:
            raise ValueError(
                f"timestamp_unit={self.timestamp_unit}: give s, ms, us, ns, iso, auto, or a layout "
                "such as %d.%m.%Y %H:%M"
            )
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(
                f"delimiter={self.delimiter}: give one character, or tab, space, comma, semicolon or pipe"
            )

    @classmethod
    def of(cls, value: ColumnMapping | Mapping[str, Any] | None) -> ColumnMapping:
        if value is None:
            return cls()
        if isinstance(value, ColumnMapping):
            return value
        known = {f.name for f in fields(cls)} - {"named"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown mapping keys {unknown}; known: {sorted(known)}")
        given = dict(value)
        if isinstance(given.get("quote"), str) and given["quote"].lower() in ("none", '"'):
            given["quote"] = given["quote"] == '"'
        for name in ("header", "day_first", "quote"):  # from the command line these come as text
            if isinstance(given.get(name), str):
                given[name] = yes_or_no(name, given[name])
        if isinstance(given.get("delimiter"), str):
            given["delimiter"] = _DELIMITER_NAMES.get(given["delimiter"].lower(), given["delimiter"])
        return replace(cls(), **given, named=frozenset(given))

    def sources(self) -> dict[str, str | None]:
        """Event field -> source column name."""
        return {
            "type": self.type,
            "occurred_at": self.timestamp,
            "user_id": self.user,
            "item_id": self.item,
            "session_id": self.session,
            "store_id": self.store_id,
            "location": self.location,
            "device": self.device,
            "category": self.category,
            "quantity": self.quantity,
            "price_paid": self.price_paid,
            "value": self.value,
            "query": self.query,
            "time_of_day": self.time_of_day,
            "parent_line": self.parent_line,
            "order": self.order,
        }


def undated_start_us(day: str) -> int:
    """The start of `day` ('2024-01-01') in microseconds UTC; ValueError unless it is a day from
    1990 to today."""
    from datetime import UTC, date, datetime

    try:
        start = datetime.combine(date.fromisoformat(day.strip()), datetime.min.time(), UTC)
    except ValueError:
        raise ValueError(f"undated={day}: give the day to date the rows with, as 2024-01-01") from None
    if not datetime(1990, 1, 1, tzinfo=UTC) <= start <= datetime.now(UTC):
        raise ValueError(f"undated={day}: give a day from 1990-01-01 to today")
    return int(start.timestamp()) * 1_000_000


def undated(mapping: ColumnMapping | Mapping[str, Any] | None) -> bool:
    """Whether a mapping dates a file's rows by their order (undated=DAY)."""
    if isinstance(mapping, ColumnMapping):
        return mapping.undated is not None
    return bool(mapping and mapping.get("undated"))


def undated_times(mapping: ColumnMapping, raw: dict[str, list[Any]], lines: Sequence[int]) -> None:
    """With `undated`, each row's time: the day's start plus its line number in microseconds."""
    if mapping.undated is not None:
        start = undated_start_us(mapping.undated)
        raw["occurred_at"] = [start + line for line in lines]


_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}


def yes_or_no(name: str, text: str) -> bool:
    answer = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.lower())
    if answer is None:
        raise ValueError(f"{name}={text}: give true or false")
    return answer


# Names files commonly give each field's column, compared as header keys (case, spaces and
# punctuation ignored). They are looked for only where the mapping's own column for a field is
# not in the file and is the default one: a column the caller named is never guessed over.
# OTTO's article id names the item only where nothing else does, after a bare `item` or
# `product` too (an `aid` beside them may be an app's id); JD.com's `sku_id` where no other id
# column does (beside an `asin` or an `article_id` it is an attribute, as it was).
_LAST_ITEM = ("aid",)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    # A customer column before a bare `user`, which in a till's export is the cashier; beside
    # one, a `user_id` is refused (check_customer_columns). Olist's `customer_unique_id` is the
    # customer, its `customer_id` one order's.
    "user": ("user_id", "customer_unique_id", "customer_id", "customer", "user", "visitor_id", "visitor",
             "client_id", "member_id", "account_id", "shopper_id", "uid", "reviewer_id", "user_pseudo_id",
             "distinct_id", "anonymous_id"),
    "item": ("item_id", "item", "product_id", "product", "sku", "parent_asin", "asin", "article_id",
             "offer_id", "stock_code", "movie_id", "book_id", "business_id", "track_id", "song_id", "game_id",
             "video_id", "recipe_id", "isbn", "sku_id", *_LAST_ITEM),
    "type": ("type", "event", "event_type", "event_name", "action", "action_type", "behavior", "behaviour",
             "behavior_type", "interaction", "interaction_type", "activity"),
    "timestamp": ("timestamp", "ts", "time", "event_time", "datetime", "date", "created_at",
                  "occurred_at", "event_timestamp", "unix_review_time", "invoice_date",
                  "order_date", "order_time", "transaction_date", "transaction_time",
                  "transaction_dt", "purchase_date", "purchase_time", "sale_date", "t_dat"),
    "session": ("session_id", "session", "user_session", "visit_id", "visit"),
    "category": ("category", "category_name", "category_code", "category_id"),
    "quantity": ("quantity", "qty", "qty_ordered", "quantity_ordered"),
    "price_paid": ("price_paid", "price", "unit_price", "sales_price", "sale_price", "amount"),
    "value": ("rating", "value", "score", "stars", "overall", "book_rating", "user_rating"),
    "query": ("query", "search_query", "search_term", "search", "keyword", "keywords"),
}  # fmt: skip


_COLUMN_FIELDS = (*COLUMN_ALIASES, "store_id", "location", "device", "time_of_day")
# A column naming the order (WooCommerce's "Order Number", Magento's increment_id, Olist's
# order_id): beside it, a product's id or SKU is what was sold, and an `item_id` or "Item #" the
# order's line (Magento's line id; WooCommerce's 1, 2, ... in each order).
_ORDER_COLUMNS = frozenset(
    header_key(name)
    for name in (
        "order_id", "order", "order_number", "order_no", "order_nr", "order_increment_id",
        "increment_id", "entity_id", "invoice", "invoice_id", "invoice_no", "invoice_number",
        "receipt", "receipt_id", "receipt_no", "receipt_number", "transaction_id", "transaction_no",
        "order_reference",
    )
)  # fmt: skip
_PRODUCT_COLUMNS = ("product_id", "sku", "sku_id")
# A bare `item` or `product` is the id only where the file has no other id column: beside a SKU
# (a till's `Item,SKU`: Latte, LAT-L) it is the item's name.
_BARE_ITEM = ("item", "product")
# A till's export: the date in one column and the time of day in another.
_DATE_AND_TIME = [
    (f"{kind}date", f"{kind}time") for kind in ("", "order_", "transaction_", "purchase_", "sale_")
]


def _by_key(names: Sequence[str]) -> dict[str, str]:
    """The columns by their header key ('SessionId' and 'session_id' alike); the first of equal
    keys."""
    return {header_key(name): name for name in reversed(names)}


def resolve_columns(
    mapping: ColumnMapping, names: Sequence[str], values_of: Callable[[str], list[Any]] | None = None
) -> ColumnMapping:
    """`mapping` with each field's column spelt as in `names` (a header, or a JSON object's keys),
    and a field whose default column is not there found under a common name instead. With no
    customer column, the session is the (anonymous) visitor; with no type column, every row is a
    rating where there is a rating column, else a purchase where there is a price or quantity
    column (a file of sales: an invoice or transactions export). `values_of` gives a column's
    values in the first rows, where they are at hand: an order's lines fill its column in each."""
    actual = _by_key(names)
    defaults = ColumnMapping()
    chosen: dict[str, str] = {}
    guessed: list[str] = []
    searched: list[str] = []  # fields whose default column is one of their aliases, in its rank
    for field_name in _COLUMN_FIELDS:
        column = getattr(mapping, field_name)
        if column is None:
            continue
        default = (
            column == getattr(defaults, field_name)
            and field_name in COLUMN_ALIASES
            and field_name not in mapping.named
        )
        if default:
            searched.append(field_name)
        if header_key(column) in actual:
            if not default:
                chosen[field_name] = actual[header_key(column)]
        elif default:
            guessed.append(field_name)
    taken = set(chosen.values())
    orders = [name for key, name in actual.items() if key in _ORDER_COLUMNS]
    # An event log whose purchases name their order, not an order's lines.
    event_log = values_of is not None and bool(orders) and _other_actions(mapping, actual, values_of)
    order_lines = bool(orders) and any(header_key(a) in actual for a in _PRODUCT_COLUMNS)
    if order_lines and values_of is not None:
        dated = _dated_rows(actual, values_of)
        order_lines = not event_log and any(
            _mostly_filled([v for v, d in zip(values_of(name), dated, strict=True) if d]) for name in orders
        )
    for field_name in searched:
        aliases = COLUMN_ALIASES[field_name]
        if field_name == "item" and order_lines:
            aliases = _PRODUCT_COLUMNS  # an order's lines: the product, not the line's number
        elif field_name == "item" and _ids_filled(actual, values_of):
            aliases = (*(a for a in aliases if a not in _BARE_ITEM + _LAST_ITEM), *_BARE_ITEM, *_LAST_ITEM)
        for alias in aliases:
            name = actual.get(header_key(alias))
            if name is not None and name not in taken:
                chosen[field_name] = name
                taken.add(name)
                break
    if orders and not event_log and "order" not in mapping.named:
        # An order's later lines take its fields from its first; not an event log's rows (one
        # there without a customer or time is not the last purchase's).
        chosen["order"] = orders[-1]  # `actual` keeps the first of equal keys, in reverse
    if order_lines and "parent_line" not in mapping.named and header_key("parent_item_id") in actual:
        chosen["parent_line"] = actual[header_key("parent_item_id")]
    resolved = replace(mapping, **chosen)
    if "timestamp" in guessed and mapping.time_of_day is None:
        for date_name, time_name in _DATE_AND_TIME:
            date_column, time_column = actual.get(header_key(date_name)), actual.get(header_key(time_name))
            if date_column is not None and time_column is not None:
                resolved = replace(resolved, timestamp=date_column, time_of_day=time_column)
                break
    if (
        "value" in guessed
        and header_key(chosen.get("value", "")) == "value"
        and {"price_paid", "quantity"} & set(chosen)
    ):
        # an order's value (Klaviyo's "Ordered Product": Quantity, Price, Value), not a rating
        del chosen["value"]
        resolved = replace(resolved, value=None)
    if "user" in guessed and "user" not in chosen and "session" in chosen:
        resolved = replace(resolved, user=chosen["session"])  # sessions of anonymous visitors
    if "type" in guessed and "type" not in chosen and not mapping.default_type:
        if "value" in chosen:
            resolved = replace(resolved, default_type=EventType.RATED.value)  # a file of ratings
        elif "price_paid" in chosen or "quantity" in chosen:
            resolved = replace(resolved, default_type=EventType.PURCHASED.value)  # a file of sales
    if mapping.undated is not None:
        # a column found by its name is judged by its values (check_undated): 0 in every row
        # is no time
        if ("timestamp" in chosen and mapping.timestamp != defaults.timestamp) or resolved.time_of_day:
            raise FormatError(
                f"undated={mapping.undated}: the file has times, in {resolved.timestamp!r}; undated "
                "dates the rows of a file with none"
            )
        resolved = replace(resolved, timestamp=None, timestamp_unit="us")  # times from the file's order
    return resolved


def _other_actions(
    mapping: ColumnMapping, actual: Mapping[str, str], values_of: Callable[[str], list[Any]]
) -> bool:
    """Whether the type column names an action other than a purchase (a view, a cart) in the
    first rows: an event log, whose purchases may be most of its rows, not an order's lines."""
    named = "type" in mapping.named or mapping.type != ColumnMapping().type
    keys = [header_key(mapping.type)] if mapping.type and named else map(header_key, COLUMN_ALIASES["type"])
    column = next((actual[key] for key in keys if key in actual), None)
    if column is None:
        return False
    types, _ = map_actions(values_of(column), mapping.actions)
    return any(t is not None and t != EventType.PURCHASED.value for t in types)


def _dated_rows(actual: Mapping[str, str], values_of: Callable[[str], list[Any]]) -> list[bool]:
    """Which of the first rows have a time, in a column under one of the time's common names
    (every row, where none has): an order's later lines may leave its order, customer and date
    blank."""
    columns = [values_of(name) for key, name in actual.items() if key in _TIME_ALIASES]
    dated = [any(not convert.is_blank(v) for v in row) for row in zip(*columns, strict=True)]
    return dated if any(dated) else [True] * len(values_of(next(iter(actual.values()))))


_TIME_ALIASES = frozenset(header_key(alias) for alias in COLUMN_ALIASES["timestamp"])
# An order's fields, which its later lines may leave blank (see fill_order_lines).
_ORDER_FIELDS = (
    "user_id",
    "occurred_at",
    "time_of_day",
    "session_id",
    "store_id",
    "location",
    "device",
    "type",
)


def fill_order_lines(raw: dict[str, list[Any]], last: dict[str, Any]) -> None:
    """An order's later lines written with its fields blank (Odoo's sale orders with their
    lines, some WooCommerce exports: order, customer and date on the first line only): a row
    whose order, customer and time cells are all blank, and which names an item, takes each
    blank field of the order from the last row that named one (`last`, kept from chunk to
    chunk); a row of no order with a customer or time (a till's sale) ends that order.
    `raw["order"]` is dropped."""
    orders = raw.pop("order", None)
    if orders is None:
        return
    fields = [name for name in _ORDER_FIELDS if name in raw]
    told = [name for name in ("user_id", "occurred_at") if name in raw]
    items = raw.get("item_id")
    for i, order in enumerate(orders):
        if not convert.is_blank(order):
            last.clear()
            last.update({name: raw[name][i] for name in fields})
        elif not told or any(not convert.is_blank(raw[name][i]) for name in told):
            last.clear()  # a line of no order (a till's sale), not an order's later line
        elif last and (items is None or not convert.is_blank(items[i])):
            for name in fields:
                if convert.is_blank(raw[name][i]):
                    raw[name][i] = last[name]


def _ids_filled(actual: Mapping[str, str], values_of: Callable[[str], list[Any]] | None) -> bool:
    """Whether a column other than a bare `item` or `product` names the item in most rows, so
    that the bare one is the item's name (a till's `Item,SKU`: Latte, LAT-L). A SKU column that
    the shop leaves empty (Square's, where a café gives its items none) leaves the name the item:
    each sale without a SKU was quarantined as having no item."""
    ids = [
        actual[k]
        for a in COLUMN_ALIASES["item"]
        if a not in _BARE_ITEM + _LAST_ITEM and (k := header_key(a)) in actual
    ]
    return values_of is None or any(_mostly_filled(values_of(name)) for name in ids)


def _mostly_filled(values: Sequence[Any]) -> bool:
    """Whether a column is filled in most rows: an order's lines name it in each (a till sale or
    two may not), an event log names it on its purchases only, fewer than its views."""
    return sum(not convert.is_blank(v) for v in values) > len(values) / 2


# Words of a column's name that say it holds a date or time, under a name COLUMN_ALIASES does
# not know (Goodreads' date_added, Olist's order_purchase_timestamp, server_timestamp_epoch_ms).
_TIME_WORDS = frozenset({"date", "time", "timestamp", "datetime", "ts", "dt", "epoch"})
# A name written as one lower-case word (DIGINETICA's eventdate, orderdate, eventtime): what
# happened, then the time word. Only these: a `candidate` or a film's `runtime` is no time, nor
# is a duration (Steam's playtime_forever, a watchtime, viewtime or sessiontime).
_JOINED_TIME = re.compile(
    r"(event|order|transaction|trans|purchase|sale|sales|invoice|visit|click|review"
    r"|rating|action|log|booking|payment|ship|delivery|created|updated|modified)"
    r"(timestamp|datetime|date|time|ts)"
    # a view or a play is dated by its date or timestamp; its `time` is how long it lasted
    r"|(view|play|listen|watch|session)(timestamp|datetime|date|ts)"
)


# A `time` beside one of these words, in a name of two words or more, is how long something
# lasted, as a duration written as one word is (play_time, watch_time, dwell_time, time_spent).
_DURATION_WORDS = frozenset({"play", "listen", "watch", "view", "session", "dwell", "read", "run", "spent"})


def time_named(name: str) -> bool:
    """Whether a column's name says it holds a date or time: one of its words does, or it ends
    in `at` (read_at, createdAt); a birth date is no event's.

    >>> [time_named(n) for n in ("date_added", "createdAt", "server_timestamp_epoch_ms", "isbn")]
    [True, True, True, False]
    >>> [time_named(n) for n in ("eventdate", "orderdate", "eventtime", "runtime", "candidate")]
    [True, True, True, False, False]
    >>> [time_named(n) for n in ("playtime_forever", "watchtime", "viewtime", "sessiontime")]
    [False, False, False, False]
    >>> [time_named(n) for n in ("viewdate", "sessiontimestamp", "playdate")]
    [True, True, True]
    >>> [time_named(n) for n in ("play_time", "watchTime", "dwell_time", "time_spent", "view_timestamp")]
    [False, False, False, False, True]
    """
    words = _name_words(name)
    told = [
        word
        for i, word in enumerate(words)
        if not (word == "time" and {*words[i - 1 : i], *words[i + 1 : i + 2]} & _DURATION_WORDS)
    ]
    return "birth" not in words and (
        bool(_TIME_WORDS & set(told))
        or (len(words) > 1 and words[-1] == "at")
        or any(_JOINED_TIME.fullmatch(word) for word in words)
    )


def _name_words(name: str) -> list[str]:
    """A column's name as lower-case words (createdAt: created, at; order_id: order, id)."""
    return re.findall(r"[a-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())


# How the words of a time column's name begin that say it is no event's own time but a later
# step of its order: a shipment's, a delivery's, a deadline or an estimate (Olist's
# shipping_limit_date and order_estimated_delivery_date beside its order_purchase_timestamp).
_LATER_STEPS = ("ship", "deliver", "dispatch", "carrier", "limit", "deadline", "estimat", "expect", "due")


def event_times(names: Sequence[str]) -> list[str]:
    """The columns named for a time, in the file's order but those of a shipment, delivery,
    deadline or estimate last: an order's time before the shipping deadline of its lines.

    >>> event_times(["order_id", "shipping_limit_date", "order_purchase_timestamp", "order_approved_at"])
    ['order_purchase_timestamp', 'order_approved_at', 'shipping_limit_date']
    """
    return sorted((name for name in names if time_named(name)), key=_later_step)


def _later_step(name: str) -> bool:
    """Whether a time column's name says it is a later step of an order (its shipping's)."""
    return any(word.startswith(_LATER_STEPS) for word in _name_words(name))


def check_customer_columns(
    given: ColumnMapping,
    names: Sequence[str],
    path: Path,
    values_of: Callable[[str], list[Any]] | None = None,
) -> None:
    """FormatError for a file with a `user_id` and a customer column where the mapping names
    neither: which is the customer cannot be told by their names (a till's cashier in user_id,
    Odoo's salesperson; an event log's visitor, with a customer_id only on its purchases). A key
    whose values (`values_of`, in the first rows) are objects or lists (a JSON line's nested
    `customer` object) names no id."""
    if given.user != ColumnMapping().user or "user" in given.named:
        return

    def ids(name: str | None) -> str | None:
        if name is None or values_of is None:
            return name
        return None if any(isinstance(v, dict | list) for v in values_of(name)) else name

    actual = _by_key(names)
    user = ids(actual.get("userid"))
    customer = (
        ids(actual.get("customeruniqueid")) or ids(actual.get("customerid")) or ids(actual.get("customer"))
    )
    if user is not None and customer is not None:
        raise FormatError(
            f"{path}: both {user!r} and {customer!r} may name the customer (one may be a cashier, "
            f"or a visitor): say which with --map user={customer} or --map user={user}"
        )


def check_undated(
    mapping: ColumnMapping, names: Sequence[str], values_of: Callable[[str], list[Any]]
) -> None:
    """FormatError for undated=DAY on a file whose time column, found by its name, holds times
    (mostly times since 1990 in the first chunk): the day would replace every one of them. A
    column only named like a time (a film's release_date beside its ratings) is no event's
    time: undated, given, dates the rows."""
    if mapping.undated is None:
        return
    aliases = {header_key(alias) for alias in COLUMN_ALIASES["timestamp"]}
    for name in names:
        if header_key(name) in aliases and _mostly_times(values_of(name)[:200]):
            raise FormatError(
                f"undated={mapping.undated}: the file has times, in {name!r} (leave undated out to "
                "read them); undated dates the rows of a file with none"
            )


def _mostly_times(values: Sequence[Any]) -> bool:
    given, read = _times_since_1990(values)
    return 2 * sum(t is not None for t in read) > given > 0


def _times_since_1990(values: Sequence[Any]) -> tuple[int, list[int | None]]:
    """How many of `values` are given, and each value's time since 1990 (microseconds UTC), None
    where it is not given or not such a time."""
    given = [
        isinstance(v, str | int | float) and not isinstance(v, bool) and not convert.is_blank(v)
        for v in values
    ]
    stamps, problems = times([v for v, g in zip(values, given, strict=True) if g], "auto", "UTC")
    earliest = int(EARLIEST.timestamp()) * 1_000_000
    read = iter(
        t if p is None and isinstance(t, int) and t >= earliest else None
        for t, p in zip(stamps, problems, strict=True)
    )
    return sum(given), [next(read) if g else None for g in given]


_DAY_US = 86_400 * 1_000_000


def choose_time_column(
    given: ColumnMapping, resolved: ColumnMapping, names: Sequence[str], values_of: Callable[[str], list[Any]]
) -> ColumnMapping:
    """Where the time column found by its name holds days only (in the first chunk; KuaiRand's
    `date`, 20220408) and another column named for a time holds times within the day that fall
    on that day in nine rows of ten, a day either side for the zone (its `time_ms`, epoch
    milliseconds), that one: the same event's time, where by the day alone a customer's events
    of a day fall at one instant, out of order, and a repeat among them is taken for a double
    click. A column of other times (a signup's, a shipping's) is no event's and is passed by.
    A column the user named is kept."""
    defaults = ColumnMapping()
    if (
        (given.timestamp, given.timestamp_unit) != (defaults.timestamp, defaults.timestamp_unit)
        or resolved.timestamp is None
        or resolved.time_of_day is not None
    ):
        return resolved
    given_days, days = _times_since_1990(values_of(resolved.timestamp)[:200])
    read_days = [t for t in days if t is not None]
    if not (2 * len(read_days) > given_days > 0) or any(t % _DAY_US for t in read_days):
        return resolved
    for name in names:
        if name == resolved.timestamp or not time_named(name):
            continue
        _, read = _times_since_1990(values_of(name)[:200])
        pairs = [(d, t) for d, t in zip(days, read, strict=True) if d is not None]
        same_day = sum(t is not None and abs(t // _DAY_US - d // _DAY_US) <= 1 for d, t in pairs)
        if 10 * same_day >= 9 * len(pairs) and any(t % _DAY_US for _, t in pairs if t is not None):
            return replace(resolved, timestamp=name)
    return resolved


# The fields of a mapping that the way out of a placeholder time column names again.
_KEPT_BESIDE_UNDATED = (
    "header",
    "delimiter",
    "quote",
    "user",
    "item",
    "type",
    "session",
    "value",
    "quantity",
    "price_paid",
    "category",
    "default_type",
)


# MySQL's zero date, which a table exported from it holds where a time was never set.
_ZERO_DATE = re.compile(r"0{4}-00-00([ T]00:00:00(\.0+)?)?")


def _undated_way_out(given: ColumnMapping) -> str:
    """The --map options that date a file's rows by their order, with the rest of the mapping the
    user gave (its delimiter, its columns)."""
    kept = [
        f"--map {name}={_map_text(name, getattr(given, name))}"
        for name in _KEPT_BESIDE_UNDATED
        if getattr(given, name) not in (None, getattr(ColumnMapping(), name))
    ]
    return " ".join([*kept, "--map undated=2024-01-01"])


def check_placeholder_times(
    given: ColumnMapping, mapping: ColumnMapping, raw: Mapping[str, list[Any]], path: Path, where: str
) -> None:
    """FormatError where every time of the first chunk is one and the same before 1990 (NCF's
    pinterest-20 ratings: 0 in every row), or MySQL's zero date (0000-00-00 00:00:00): a
    placeholder, not the file's times, which would quarantine every row as too old or
    unreadable. It names undated=DAY, with the rest of the mapping given."""
    if "time_of_day" in raw:
        return
    values = [v for v in raw["occurred_at"] if not convert.is_blank(v) and not isinstance(v, bool)]
    if not values or len({str(v).strip() for v in values}) != 1:
        return
    zero = _ZERO_DATE.fullmatch(str(values[0]).strip()) is not None
    stamps, problems = times(values[:1], mapping.timestamp_unit, "UTC", mapping.day_first)
    earliest = int(EARLIEST.timestamp()) * 1_000_000
    if not zero and (problems[0] is not None or not isinstance(stamps[0], int) or stamps[0] >= earliest):
        return
    way_out = _undated_way_out(given)
    raise FormatError(
        f"{path}: every time in {where} is {str(values[0]).strip()}, "
        f"{'a zero date' if zero else 'before 1990'}: that is no time, "
        f"so the file has none; date its rows by their order instead with {way_out} (the day "
        "they are dated, a microsecond apart in file order)"
    )


_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
# Times further ahead than this are no clock running fast: the column is read the wrong way.
_FAR_AHEAD = timedelta(days=365)


def check_time_range(
    given: ColumnMapping, mapping: ColumnMapping, raw: Mapping[str, list[Any]], path: Path, where: str
) -> None:
    """FormatError where no time of the first chunk falls between 1990 and now, each read one
    before 1990 or over a year ahead (Tmall's `0829`, a month and day, read as 829 seconds after
    1970; dunnhumby's TRANS_TIME, a time of day): the column is no time, or not in the unit it
    was read in, and those rows would be quarantined. It says how the first was read, and names
    timestamp=, timestamp_unit= and undated=DAY; it has judged the first rows only, and says so
    (a file sorted by time may reach 1990 later on). A time of day in a column of its own is
    joined to its date, as the rows are read, for a layout given only."""
    joined = "time_of_day" in raw
    if joined and "%" not in mapping.timestamp_unit:
        return
    stamps = raw["occurred_at"]
    if joined:  # a layout of the date alone (%d/%m/%Y) fits no date and time of the rows
        stamps = [_with_time(day, clock) for day, clock in zip(stamps, raw["time_of_day"], strict=True)]
        where = f"{where} with its time of day"
    values = [v for v in stamps if not convert.is_blank(v) and not isinstance(v, bool)]
    stamps, problems = times(values, mapping.timestamp_unit, "UTC", mapping.day_first)
    read = [
        (v, t) for v, t, p in zip(values, stamps, problems, strict=True) if p is None and isinstance(t, int)
    ]
    earliest = to_micros(EARLIEST)
    ahead = to_micros(latest_allowed() + _FAR_AHEAD)
    unit = mapping.timestamp_unit
    if (
        not read
        and "%" in unit
        and values
        and all(p is not None and p[0] == "bad_timestamp" for p in problems)
    ):
        raise FormatError(  # a layout given that none of them fits: every row would be quarantined
            f"{path}: timestamp_unit={unit}: no time in {where} of the first rows is written in that "
            f"layout ({str(values[0]).strip()[:40]!r}); give the layout they are written in (quoted for "
            "the shell: --map 'timestamp_unit=%d/%m/%Y %H:%M'), or leave timestamp_unit out to read "
            "the layout from the times themselves"
        )
    if joined or not read or any(earliest <= t <= ahead for _, t in read):
        return
    value, stamp = read[0]
    try:
        moment = datetime.fromtimestamp(stamp / 1_000_000, UTC)
        shown = f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment.year < 5000 else "after the year 5000"
    except (OverflowError, ValueError, OSError):
        shown = "after the year 5000"
    if unit == "auto" and _is_number(value) and _compact_layout([value]) is None:
        unit = _guess_unit([v for v in values if _is_number(v)][:200])
    how = f", read as {_UNIT_WORDS[unit]} since 1970," if unit in _UNIT_WORDS else ""
    way_out = _undated_way_out(given)
    raise FormatError(
        f"{path}: no time in {where} of the first rows falls between 1990 and now: "
        f"{str(value).strip()[:40]!r}{how} is {shown}, so the first rows would be quarantined. Name the "
        "column of the events' dates and times with --map timestamp=COLUMN, or the unit its numbers "
        "count in with --map timestamp_unit=ms (s, ms, us, ns, or a layout such as %Y%m%d%H%M); for "
        f"a file with no times, date its rows by their order with {way_out}"
    )


def _map_text(name: str, value: Any) -> str:
    """A mapping's value as --map spells it (false, tab, quote=none)."""
    if value is False and name == "quote":
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    names = {char: name for name, char in _DELIMITER_NAMES.items() if not name.startswith("\\")}
    return names.get(value, str(value))


def choose_action_column(
    given: ColumnMapping, resolved: ColumnMapping, names: Sequence[str], values_of: Callable[[str], list[Any]]
) -> ColumnMapping:
    """Where a file has several columns named like its action, the one whose values (in the
    first chunk) are the most known actions: Segment's `type` holds "track" beside the
    `event` that names the action, and another file's `type` is the action beside an `event`
    that names a campaign. A column the user named is kept."""
    if given.type != ColumnMapping().type or resolved.type is None:
        return resolved
    actual = _by_key(names)
    candidates = list(
        dict.fromkeys(actual[k] for a in COLUMN_ALIASES["type"] if (k := header_key(a)) in actual)
    )
    if len(candidates) < 2:
        return resolved

    known = {
        column: sum(p is None for p in map_actions(values_of(column), resolved.actions)[1])
        for column in candidates
    }
    best = max(candidates, key=known.__getitem__)  # the first of equals: the aliases' order
    return replace(resolved, type=best) if known[best] > known.get(resolved.type, 0) else resolved


# Columns that name a visitor where no customer is known (GA4's user_pseudo_id beside its often
# empty user_id; Segment's, Mixpanel's and Amplitude's anonymous ids).
_VISITOR_COLUMNS = ("user_pseudo_id", "anonymous_id", "distinct_id", "device_id", "visitor_id")
# A session's anonymous visitor, where a row names a session but no customer; never one of the
# file's customer ids, as the session's own id could be.
SESSION_VISITOR = "anonymous@"


def customer_fallbacks(
    given: ColumnMapping, resolved: ColumnMapping, names: Sequence[str]
) -> list[tuple[str, str]]:
    """(column, prefix) pairs that name a row's customer where its customer cell is empty, in
    order: a visitor column the file has, then the session (as `anonymous@SESSION`). None
    where the user named the customer's column: that column alone names the customer."""
    if given.user != ColumnMapping().user or resolved.user is None:
        return []
    chosen = header_key(resolved.user)
    actual = _by_key(names)
    fallbacks = [(actual[k], "") for a in _VISITOR_COLUMNS if (k := header_key(a)) in actual and k != chosen]
    if resolved.session is not None and resolved.session != resolved.user:
        fallbacks.append((resolved.session, SESSION_VISITOR))
    return list(dict.fromkeys(fallbacks))


def sessions_are_visitors(given: ColumnMapping, resolved: ColumnMapping) -> bool:
    """Whether the file has no customer column, its sessions standing for anonymous visitors."""
    return (
        given.user == ColumnMapping().user
        and resolved.session is not None
        and resolved.user == resolved.session
    )


def guest_advice(given: ColumnMapping, resolved: ColumnMapping, names: Sequence[str]) -> dict[str, str]:
    """How a file's rows that name no customer could be kept, by the reason they are quarantined
    for: where the file names an order but has no session column (UCI's Online Retail, whose
    guest checkouts leave `Customer ID` empty beside their `Invoice`), as the anonymous visitor
    of their order, which `--map session=ORDER` makes each. None where the user named the
    customer's column: that column alone names the customer, whatever the session."""
    if given.user != ColumnMapping().user or resolved.user is None or resolved.order is None:
        return {}
    if resolved.session is not None and header_key(resolved.session) in _by_key(names):
        return {}  # they are their session's visitors already
    order = resolved.order
    return {
        "missing_user_id": (
            f"Rows whose {resolved.user!r} is empty (a guest's order) were quarantined as "
            f"missing_user_id: --map {shlex.quote(f'session={order}')} keeps them, each as the "
            f"anonymous visitor of its order (anonymous@ followed by its {order!r}), and makes "
            "each order a session."
        )
    }


def fill_customers(
    raw: dict[str, list[Any]], fallbacks: Sequence[tuple[str, str]], sessions: bool = False
) -> None:
    """Each empty customer cell from the first of its row's fallback cells that is not empty
    (read into `raw` as `fallback:COLUMN`, and dropped from it here). With `sessions` (the
    customer column is the session's), every customer is the session's visitor,
    `anonymous@SESSION`: never one of the shop's customer ids."""
    columns = [
        (raw.pop(f"fallback:{name}"), prefix) for name, prefix in fallbacks if f"fallback:{name}" in raw
    ]
    users = raw.get("user_id")
    if users is not None and sessions:
        raw["user_id"] = users = [
            None if convert.is_blank(u) else f"{SESSION_VISITOR}{_text(u, ident=True)}" for u in users
        ]
    if users is None or not columns:
        return
    for i, user in enumerate(users):
        if convert.is_blank(user):
            users[i] = next(
                (
                    f"{prefix}{_text(column[i], ident=True)}"
                    for column, prefix in columns
                    if not convert.is_blank(column[i])
                ),
                user,
            )


# A field's columns, in the order a row's empty cell is read from, where the file has more than
# one: an event log's views carry the listed price and its purchases the price paid, and some
# purchases only the listed price; REES46's events name a category by its category_code, blank
# on many rows, and always by its category_id.
_CELL_FALLBACKS = {"price_paid": ("price_paid", "price"), "category": ("category_code", "category_id")}


def cell_fallbacks(
    given: ColumnMapping, resolved: ColumnMapping, names: Sequence[str]
) -> list[tuple[str, str]]:
    """The fields and columns a row's field is read from where its own cell is empty (read into
    `raw` as `FIELD:COLUMN`, see fill_cells); none for a field whose column the user named."""
    actual, defaults = _by_key(names), ColumnMapping()
    return [
        (name, actual[k])
        for name, columns in _CELL_FALLBACKS.items()
        if getattr(given, name) == getattr(defaults, name) and (chosen := getattr(resolved, name)) is not None
        for column in columns
        if (k := header_key(column)) in actual and k != header_key(chosen)
    ]


def fill_cells(raw: dict[str, list[Any]], fallbacks: Sequence[tuple[str, str]], n: int) -> None:
    """Each empty cell of a field from the first of its row's fallback cells that is not empty;
    the `FIELD:COLUMN` cells are dropped from `raw`."""
    for name in dict.fromkeys(name for name, _column in fallbacks):
        keys = [f"{name}:{column}" for field, column in fallbacks if field == name]
        columns = [raw.pop(key) for key in keys if key in raw]
        if not columns:
            continue
        cells = raw.get(name) or [None] * n
        raw[name] = [
            next((column[i] for column in columns if not convert.is_blank(column[i])), cell)
            if convert.is_blank(cell)
            else cell
            for i, cell in enumerate(cells)
        ]


# Columns of an order's state (Olist's order_status, Shopify's Financial Status, a payment's
# status; a bare `status` only in a file that names its orders, as WooCommerce's and Magento's
# do: a product's or a customer account's status is no order's), and Shopify's Cancelled at,
# filled where the order was cancelled.
_STATUS_COLUMNS = ("order_status", "financial_status", "payment_status")
_CANCELLED_AT = ("cancelled_at", "canceled_at")
_CANCELLED_KEYS = frozenset(map(header_key, _CANCELLED_AT))
# Words and phrases of a status that say the order sold nothing (Olist's canceled and
# unavailable, WooCommerce's wc-cancelled and refunded, Shopify's voided and expired, BigCommerce's
# declined, PrestaShop's Payment error, Shopware's and German shops' Storniert, Erstattet,
# Fehlgeschlagen); a partial refund sold the rest. "Closed" is no such word: Shopify's closed
# order is an archived one, a till's (Vend's, Loyverse's) closed sale a paid one.
_UNSOLD = frozenset(
    {
        *("cancel", "canceled", "cancelled", "refund", "refunded", "void", "voided", "failed"),
        *("unavailable", "declined", "expired", "rejected"),
        *("storniert", "erstattet", "fehlgeschlagen", "abgebrochen", "zahlungsfehler"),
    }
)
_UNSOLD_PHRASES = (("payment", "error"), ("payment", "failure"))
# A cell with none of these words sold, and needs no search for a phrase.
_UNSOLD_LEADS = _UNSOLD | {phrase[0] for phrase in _UNSOLD_PHRASES}
_PARTLY = frozenset({"partially", "partial", "partly", "teilweise"})
# A word before one of those that says the opposite ("not cancelled", "non-refunded").
_NEGATING = frozenset({"not", "no", "non", "never", "nicht", "kein", "keine", "un"})


def status_columns(resolved: ColumnMapping, names: Sequence[str]) -> list[str]:
    """The columns that say whether a row's order was cancelled (read into `raw` as
    `status:COLUMN`); none that the mapping reads as an event's field."""
    actual = _by_key(names)
    statuses = (*_STATUS_COLUMNS, *(("status",) if resolved.order is not None else ()), *_CANCELLED_AT)
    used = {header_key(column) for column in resolved.sources().values() if column is not None}
    return [actual[k] for name in statuses if (k := header_key(name)) in actual and k not in used]


def unsold_orders(raw: dict[str, list[Any]], statuses: Sequence[str], last: dict[str, Any]) -> None:
    """`raw["unsold"]`: each row's problem where its order's status says it was cancelled,
    refunded, voided or failed (it sold nothing; a purchase is quarantined for it, see
    typed_columns), else None. An order's later line with its status cells blank (Shopify writes
    them on its first line only) takes its first line's, and so does one written with its order,
    customer and time blank too (Odoo's, see fill_order_lines); `last`, kept from chunk to chunk,
    holds the last order and its problem. The `status:COLUMN` cells are dropped from `raw`."""
    columns = [(name, raw.pop(f"status:{name}")) for name in statuses if f"status:{name}" in raw]
    if not columns:
        return
    orders = raw.get("order")
    told = [raw[name] for name in ("user_id", "occurred_at") if name in raw]
    found: list[Problem] = []
    for i in range(len(columns[0][1])):
        given = [(name, column[i]) for name, column in columns if not convert.is_blank(column[i])]
        problem = next(
            (
                (
                    "cancelled_order",
                    f"{name}: {str(value).strip()[:40]!r}: the order was cancelled, refunded, voided "
                    "or failed, and sold nothing",
                )
                for name, value in given
                if _unsold(name, value)
            ),
            None,
        )
        order = None if orders is None or convert.is_blank(orders[i]) else _text(orders[i], True)
        if order is None and orders is not None:
            if told and all(convert.is_blank(column[i]) for column in told):
                order = last.get("order")  # the last order's later line
            else:
                last.clear()  # a line of no order (a till's sale) ends the order before it
        if not given and order is not None and last.get("order") == order:
            problem = last["problem"]
        elif order is not None:
            last.update(order=order, problem=problem)
        found.append(problem)
    raw["unsold"] = found


def _unsold(column: str, value: Any) -> bool:
    """Whether a status cell says its order sold nothing; a Cancelled at cell, that it holds a
    date or time (Shopify's) or a yes: a placeholder of none (0, N/A, -, false, MySQL's
    0000-00-00 00:00:00) is no cancellation."""
    text = str(value).casefold()
    words = re.findall(r"[^\W\d_]+", text)  # whole words, so "wc-cancelled" is one and "cancellable" none
    said = set(words)
    if header_key(column) in _CANCELLED_KEYS:
        return re.search(r"[1-9]", text) is not None or bool(said & {"true", "yes", "y"})
    if said & _PARTLY or not said & _UNSOLD_LEADS:
        return False
    starts = [i for i, word in enumerate(words) if word in _UNSOLD]
    starts += [i for i in range(len(words)) for p in _UNSOLD_PHRASES if tuple(words[i : i + len(p)]) == p]
    return any(not (i and words[i - 1] in _NEGATING) for i in starts)


def has_event_columns(names: Sequence[str]) -> bool:
    """Whether a header (or a JSON object's keys) has a column, under a common name, for each of
    the customer (or session), the item, the time and the type (or a rating): a file of
    interactions, whatever made it."""
    resolved = resolve_columns(ColumnMapping(), names)
    lacking = _lacking(resolved, names, ("user", "item", "timestamp", "type"))
    return not lacking or (lacking == ["type"] and resolved.default_type is not None)


def _lacking(mapping: ColumnMapping, names: Sequence[str], fields: Sequence[str]) -> list[str]:
    """Those of `fields` whose column (as the mapping names it) is not among `names`."""
    keys = {header_key(name) for name in names}
    return [field for field in fields if header_key(getattr(mapping, field) or "") not in keys]


def check_columns(
    mapping: ColumnMapping,
    names: Sequence[str],
    path: Path,
    *,
    nested: str | None = None,
    values_of: Callable[[str], list[Any]] | None = None,
    encoding: str = "utf-8",
) -> None:
    """FormatError unless the file has each column the mapping names, and a column for what
    every event needs: the customer, the time, and the type unless the mapping gives a default
    one. A file without them would quarantine every row for the same reason. `nested` names
    the key under which each JSON object lists its events, if one does (OTTO's `events`);
    `values_of` gives a column's values in the first rows, where they are at hand, so that the
    way out names a column for the time only where it holds times; `encoding` is the one its
    lines are read in, which the pandas lines of a way out read it in too."""
    _refuse_wide(names, path, encoding)
    defaults = ColumnMapping()
    named = [name for name in _COLUMN_FIELDS if getattr(mapping, name) not in (None, getattr(defaults, name))]
    problems = [
        f"{field}={getattr(mapping, field)}: no such column" for field in _lacking(mapping, names, named)
    ]
    lacking = _needed_lacking(mapping, lambda field: not _lacking(mapping, names, (field,)))
    if {"user", "item", "timestamp"} <= set(lacking):
        check_categories(names, path, encoding=encoding)
    if lacking:
        problems.append(f"no column for the {' or the '.join(lacking)}")
    if problems:
        check_spaced_header(names, path)
        field = lacking[0] if lacking else "user"  # the example names a field that needs one
        in_text = None
        if nested is None and values_of is not None and data_suffix(path) not in JSON_LINES_SUFFIXES:
            in_text = _listed_in_text(names, values_of)
        hint = (
            _nested_hint(nested, path)
            if nested
            else _listed_hint(in_text, path)
            if in_text
            else _joined_hint(names, lacking, path, encoding) or _hint(names, lacking)
        )
        if "timestamp" in lacking and hint in ("", _ONE_KIND):  # not where it may be something else
            hint += _time_hint(names, values_of)
        raise FormatError(
            f"{path}: {'; '.join(problems)}. The columns are {list(names)}: map a field to its "
            f"column with {field}=COLUMN (--map {field}=COLUMN on the command line){hint}"
        )


def spaced_header(names: Sequence[str]) -> bool:
    """Whether a header line was read as one column whose name holds words split by spaces
    (`user item timestamp comment`): spaces are not sniffed as the delimiter where a value holds
    one too (a comment, "very good"), its lines splitting into different numbers of words."""
    if len(names) != 1 or len(words := names[0].split()) < 2 or any(len(word) > 64 for word in words):
        return False
    return not looks_like_data(words)  # no header line: its refusal names header=false


def check_spaced_header(names: Sequence[str], path: Path) -> None:
    """FormatError for a header line read as one column of words split by spaces."""
    if spaced_header(names):
        raise FormatError(
            f"{path}: its header line {names[0]!r} was read as one column: the columns seem "
            "separated by spaces; read it with --map delimiter=space (a row with a value holding a "
            "space then has too many fields and is quarantined)"
        )


# A column of a wide table's day: M5's d_1 ... d_1941, day_1, or a date (2011-01-29).
_DAY_COLUMN = re.compile(r"(d|day)_?\d+")


# A wide table's column of its store: the sales of a day are a store's, having no customer.
_STORE_COLUMNS = {"storeid", "store", "shopid", "shop"}


def _refuse_wide(names: Sequence[str], path: Path, encoding: str) -> None:
    """FormatError for a wide table, one row per item and a column per day (Walmart M5's sales:
    d_1 ... d_n, or columns named by dates): read as events, each row would be one sale, its
    days' counts lost. The recipe it gives reads the file by its path as given, with its own
    delimiter, and names the customer its sales are imported as (its store, or one of its own)."""
    numbered = {name for name in names if _DAY_COLUMN.fullmatch(header_key(name))}
    days = [
        name
        for name in names
        if name in numbered
        or (any(c.isdigit() for c in name) and _times_since_1990([name])[1][0] is not None)
    ]
    if len(days) < 3:
        return
    ids = [name for name in names if name not in days]
    store = next((name for name in ids if header_key(name) in _STORE_COLUMNS), None)
    read = pandas_read(path, encoding)
    own = "" if store else '.assign(shop="shop")'
    program = (
        f"import pandas as pd; {read}.melt(id_vars={json.dumps(ids)}, "
        'var_name="day", value_name="quantity").astype({"quantity": float}).query("quantity > 0")'
        f'{own}.to_csv("long.csv", index=False)'
    )
    shown = ", ".join(days) if len(days) <= 3 else f"{days[0]}, {days[1]}, ..., {days[-1]}"
    dates = " (with each day written as its date: M5's calendar.csv gives d_1's)" if numbered else ""
    customer = f"its store's, from {store!r}" if store else "the shop's, in a column of its own"
    raise FormatError(
        f"{path}: one row per item and a column per day ({shown}), where a file of sales has a row "
        f"per sale: reshape it to one row per item and day first, for example with python3 -c "
        f"{shlex.quote(program)}, then import long.csv{dates} with --map timestamp=day "
        f"--map quantity=quantity --map user={store or 'shop'} (daily sales have no customer: each is "
        f"imported as {customer})"
    )


def pandas_read(
    path: Path, encoding: str, name: str | None = None, delimiter: str | None = None, *, header: bool = True
) -> str:
    """The pandas call that reads the file as given, by its own delimiter (`delimiter`, where the
    import was given one, else sniffed) and in its own encoding (its byte-order mark's, else
    `encoding`, its lines'; pandas reads UTF-8 unless told); or reads `name` (a file of the same
    release, written as this one is). Told none, pandas stopped with a UnicodeDecodeError on a
    cp1252 or UTF-16 file. Without a `header` line (header=false), its columns are numbered from
    0, as the import names them."""
    suffix, named = data_suffix(path), json.dumps(str(path) if name is None else name)
    numbered = "" if header else ", header=None"
    if suffix == ".parquet":
        return f"pd.read_parquet({named})"
    if is_workbook(path):  # the sheet an import reads; another workbook's first
        sheet = "" if name is not None else f", sheet_name={json.dumps(unread_sheets(path)[0])}"
        return f"pd.read_excel({named}{sheet}, dtype=str{numbered})"
    coded = pandas_encoding(path, encoding)
    if suffix in JSON_LINES_SUFFIXES:
        return f"pd.read_json({named}, lines=True{coded})"
    delimiter = text_delimiter(path, encoding, delimiter) or ","
    sep = r"r'\s+'" if delimiter == " " else json.dumps(delimiter)
    return f"pd.read_csv({named}, sep={sep}, dtype=str{numbered}{coded})"


def text_delimiter(path: Path, encoding: str, given: str | None = None) -> str | None:
    """The delimiter of a file of delimited text: `given` (the import's), else its first lines'
    (sniffed); None for a Parquet, JSON lines or workbook file."""
    if data_suffix(path) == ".parquet" or data_suffix(path) in JSON_LINES_SUFFIXES or is_workbook(path):
        return None
    return given or sniff_delimiter(head_lines(path, encoding=encoding))


def pandas_encoding(path: Path, encoding: str) -> str:
    """The `encoding=` argument of a pandas call that reads or writes text as the file is
    written: its byte-order mark's, else `encoding`, its lines'; none for UTF-8, pandas' own."""
    text = marked_encoding(path) or encoding
    return "" if text == "utf-8" else f", encoding={json.dumps(text)}"


def nested_events(objects: Sequence[dict[str, Any] | None]) -> str | None:
    """The key under which the first object that lists objects lists them (a session's events),
    if any: a GA4 export's first lines (session_start, page_view) list no items."""
    first = (
        next((obj for obj in objects[:1000] if obj and any(map(_lists_objects, obj.values()))), None) or {}
    )
    lists = [
        key
        for key, value in first.items()
        if isinstance(value, list) and value and isinstance(value[0], dict)
    ]
    item_keys = {header_key(alias) for alias in COLUMN_ALIASES["item"]}
    # GA4's `items` before its `event_params` (key/value pairs, not events)
    holding_items = [key for key in lists if item_keys & {header_key(k) for k in first[key][0]}]
    return (holding_items or lists or [None])[0]


def _lists_objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _listed_in_text(names: Sequence[str], values_of: Callable[[str], list[Any]]) -> str | None:
    """The column of a delimited file whose text is a JSON list of objects (GA4's `items`
    flattened to CSV), if any."""
    listed: list[dict[str, Any] | None] = []
    for name in names:
        text = next((str(v).strip() for v in values_of(name)[:200] if str(v).strip().startswith("[{")), None)
        try:
            listed.append({name: json.loads(text)} if text else None)
        except ValueError:
            continue
    return nested_events(listed)


def _listed_hint(key: str, path: Path) -> str:
    """_nested_hint for a CSV column of JSON text (GA4's `items`), which jq cannot read."""
    named = json.dumps(key)
    program = (
        "import csv, json, sys; [print(json.dumps(row | event)) for row in csv.DictReader(sys.stdin) "
        f"for event in json.loads(row.pop({named}) or '[]')]"
    )
    return (
        f"; each row lists its events in {key!r}, as JSON text: put one event per line first, each "
        f"with its row's other fields, for example with python3 -c {shlex.quote(program)} < "
        f"{shlex.quote(path.name)} > flat.jsonl, then import flat.jsonl"
    )


def _joined_hint(names: Sequence[str], lacking: Sequence[str], path: Path, encoding: str) -> str:
    """Where a file names an order and lacks a column for its items, its customer or both: one
    table of a release that keeps an order's lines, the order itself and what was said of it
    apart (Instacart's order_products__prior.csv and orders.csv; Olist's order items, orders and
    order reviews). It was told to give a default type and a day for undated rows, as a file of
    events is, which import no order's customer."""
    order = next((name for name in names if header_key(name) in _ORDER_COLUMNS), None)
    if order is None or ("user" not in lacking and "item" not in lacking):
        return ""
    score = None
    release: dict[Path, list[str]] = {}
    others: dict[str | Path, str] = {"OTHER": order}
    if "item" not in lacking:
        holds, other = "items", "customer and time are in another file"
        release = _release_headers(path, encoding)
        orders = _release_file(release, order, has_user=True)
        if orders is not None:
            others = {orders: order} | _customers_join(release, orders)
            if len(others) > 1:
                other = "customer and time are in other files"
    elif "user" not in lacking:
        holds, other = "customers", "items are in another file"
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
        release = _release_headers(path, encoding)
        others = _reviews_joins(release, order)
    # The other files are read as this one is: a release's files share their delimiter (a
    # semicolon's read with commas had no column to join on).
    suffix = _release_suffix(path)
    joins = "".join(
        f".merge({pandas_read(path, encoding, _named(name, suffix))}, on={json.dumps(on)})"
        for name, on in others.items()
    )
    program = f'import pandas as pd; {pandas_read(path, encoding)}{joins}.to_csv("joined.csv", index=False)'
    on_columns = " and ".join(map(repr, dict.fromkeys(others.values())))
    command = _joined_import(names, others, release, score, suffix)
    return (
        f"; the file holds orders' {holds} by {order!r}, and each order's {other} of its release: "
        f"join them on {on_columns} first, for example with python3 -c {shlex.quote(program)}"
        f"{_being(others, suffix)}, then import what it writes{command}"
    )


def _joined_import(
    names: Sequence[str],
    others: Mapping[str | Path, str],
    release: Mapping[Path, Sequence[str]],
    score: str | None,
    suffix: str,
) -> str:
    """The `edgerec import` command that reads the file a join writes, by its columns: the
    customer, the item, the time (a review's own, else its order's before its shipping's) and a
    review's rating (`score`), or else every line a purchase; undated where none of the files
    joined names a time. Where the join reads a file standing for one of the release
    (OTHER.csv), the columns it adds are found by their names, or named by the user. Told only
    to import joined.csv, its refusal named Olist's shipping deadline for the time."""
    joined = _joined_columns(names, others, release)
    columns = names if joined is None else joined
    times = [*event_times(names), *event_times(columns)] if score else event_times(columns)
    if joined is None:  # the order's time may be in the file standing for the release's, not its shipping's
        times = [time for time in times if not _later_step(time)]
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
        standing = " or ".join(_named(name, suffix) for name in others if not isinstance(name, Path))
        if unread:
            named = " or ".join(f"--map {field}=COLUMN" for field in unread)
            told = f" (adding {named} where {standing} names it under a name of its own)"
    elif options["timestamp"] is None:
        options["undated"] = _UNDATED_DAY
        told = " (no file joined names a time: its rows are dated from the undated day on, in their order)"
    given = "".join(
        f" --map {shlex.quote(f'{field}={column}')}" for field, column in options.items() if column
    )
    return f"{told}: edgerec import joined.csv{given}"


def _joined_columns(
    names: Sequence[str], others: Mapping[str | Path, str], release: Mapping[Path, Sequence[str]]
) -> list[str] | None:
    """The columns of the file a join writes, as pandas names them (a column of both sides of a
    merge but the one it is on as NAME_x and NAME_y); None where a file joined stands for one of
    the release (OTHER.csv), its columns unknown."""
    joined = list(names)
    for other, on in others.items():
        if not isinstance(other, Path):
            return None
        both = (set(joined) & set(release[other])) - {on}
        joined = [f"{name}_x" if name in both else name for name in joined] + [
            f"{name}_y" if name in both else name for name in release[other] if name != on
        ]
    return joined


def _reviews_joins(release: Mapping[Path, Sequence[str]], order: str) -> dict[str | Path, str]:
    """The files a file of orders' reviews is joined to, each with the column it is joined on:
    the orders and their items beside it, and the customers where the orders' headers and theirs
    have the columns of that join (Olist's customer_id); else ORDERS and ORDER_ITEMS, standing
    for the release's orders and their items. A join on a column that a release's files lack
    (orders that name the person, no customers file) ended in KeyError."""
    orders = _release_file(release, order, has_user=True)
    items = _release_file(release, order, has_user=False)
    if orders is None or items is None:
        return {"ORDERS": order, "ORDER_ITEMS": order}
    return {orders: order, items: order} | _customers_join(release, orders)


def _customers_join(release: Mapping[Path, Sequence[str]], orders: Path) -> dict[str | Path, str]:
    """The customers file of the release, with the orders' customer column it is joined on,
    where the orders name a customer of each order's own (Olist's customer_id) and a file beside
    them names the person of each (customer_unique_id, the customer an import reads); {} else.
    Joined to the orders alone, one person's orders were as many customers'."""
    customer = _column_of("user", release[orders])
    if customer is None or header_key(customer) == _PERSON:
        return {}
    for other, names in release.items():
        keys = {header_key(name) for name in names}
        if other != orders and {header_key(customer), _PERSON} <= keys and not keys & _ORDER_COLUMNS:
            return {other: customer}
    return {}


_PERSON = header_key("customer_unique_id")


def _release_file(release: Mapping[Path, Sequence[str]], order: str, *, has_user: bool) -> Path | None:
    """The first file of the release that names orders by `order` and their customer (the
    orders, `has_user`) or their items (the orders' items), not both: a file of both is no
    table of the release but one a join wrote (joined.csv), which a join read for the items
    would write over."""
    for other, names in release.items():
        if header_key(order) in {header_key(name) for name in names}:
            user, item = _column_of("user", names), _column_of("item", names)
            if (user is None) != (item is None) and (user is not None) == has_user:
                return other
    return None


def _column_of(field: str, names: Sequence[str]) -> str | None:
    """A header's column for `field`, under its common names; None where it has none."""
    resolved = resolve_columns(ColumnMapping(), names)
    return None if _lacking(resolved, names, (field,)) else getattr(resolved, field)


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
            first = json.loads(head[0]) if head else {}
            return list(first) if isinstance(first, dict) else []
        return next(csv.reader(head[:1], delimiter=sniff_delimiter(head)), []) if head else []
    except (OSError, ValueError, csv.Error, FormatError):  # not a table: no part of a join
        return []


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


def _being(others: Mapping[str | Path, str], suffix: str) -> str:
    """What the files of a join's program stand for, or where a release's file joined names the
    person."""
    names = list(others)
    if len(names) == 1 and not isinstance(names[0], Path):
        return f" ({names[0]}{suffix} being that file)"
    if not isinstance(names[0], Path):
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


def _nested_hint(key: str, path: Path) -> str:
    if _python_lines(path):  # jq reads JSON only: a line of 'single quotes' and True stops it
        named = json.dumps(key)  # a Python string literal too
        program = (
            "import ast, json, sys; rows = (ast.literal_eval(line) for line in sys.stdin if line.strip()); "
            f"[print(json.dumps({{k: v for k, v in row.items() if k != {named}}} | event)) "
            f"for row in rows for event in row.get({named}) or []]"
        )
        how = (
            " (its lines are Python dicts, not the JSON jq reads), for example with "
            f"python3 -c {shlex.quote(program)} <"
        )
    else:
        at = f".{key}" if key.isidentifier() else f".[{json.dumps(key)}]"  # jq's .["line-items"]
        how = f", for example with jq -c {shlex.quote(f'{at}[] as $event | del({at}) + $event')}"
    return (
        f"; each line lists its events under {key!r}: put one event per line first, each with its "
        f"line's other fields{how} {shlex.quote(path.name)} > flat.jsonl, then import flat.jsonl"
    )


def _python_lines(path: Path) -> bool:
    """Whether a JSON-lines file's first line is a Python dict literal, not JSON (Amazon's 2014
    metadata, Steam's reviews): edgerec reads it, but no JSON tool does."""
    head = head_lines(path, 1)
    try:
        json.loads(head[0] if head else "{}")
    except ValueError:
        return isinstance(python_literal(head[0]), dict)
    return False


def check_positions(mapping: ColumnMapping, path: Path) -> None:
    """check_columns for a file without a header line (header=false): a column number for what
    every event needs."""
    lacking = _needed_lacking(
        mapping, lambda field: column_position(getattr(mapping, field) or "") is not None
    )
    if lacking:
        raise FormatError(
            f"{path}: no column for the {' or the '.join(lacking)}. With header=false, columns are named "
            f"by position from 0: {lacking[0]}=2 for the third (--map {lacking[0]}=2 on the command line)"
            + (_ONE_KIND if "type" in lacking else "")
            + (_UNDATED if "timestamp" in lacking else "")
        )


_ONE_KIND = "; for a file of one kind of event, give default_type=item_viewed"
_UNDATED_DAY = "2024-01-01"
_UNDATED = (
    f"; for a file with no times at all, give undated={_UNDATED_DAY} (the day its rows are dated, "
    "a microsecond apart in file order)"
)


def _time_hint(names: Sequence[str], values_of: Callable[[str], list[Any]] | None = None) -> str:
    """Where the file's times may be: the first column named for them whose first values read
    as times since 1990 (where `values_of` gives them), else none (undated). A column named for
    a time of day (dunnhumby's TRANS_TIME, 1631) or a day's number is no event's time: taken as
    one, every row was quarantined as too old."""
    named = event_times(names)
    if not named:
        return _UNDATED
    if values_of is None:  # nothing to judge them by
        return f"; the times seem to be in {named[0]!r}: give timestamp={named[0]}"
    given = {name: [v for v in values_of(name)[:200] if not convert.is_blank(v)] for name in named}
    for name in named:  # an empty column holds no times (a cancelled_at of rows never cancelled)
        if given[name] and _mostly_times(given[name]):
            return f"; the times seem to be in {name!r}: give timestamp={name}"
    shown = next((name for name in named if given[name]), None)
    if shown is None:
        return f"; {named[0]!r} is named for a time, but empty in the first rows{_UNDATED}"
    return (
        f"; {shown!r} is named for a time, but holds no date and time after 1990 "
        f"({str(given[shown][0]).strip()[:40]!r}){_UNDATED}"
    )


def _needed_lacking(mapping: ColumnMapping, has: Callable[[str], bool]) -> list[str]:
    """Which of the customer, item, time and type (unless the mapping gives a default type) the
    file has no column for, by `has`; a file of searches needs no item."""
    needed = ("user", "item", "timestamp") if mapping.default_type else ("user", "item", "timestamp", "type")
    lacking = [field for field in needed if not has(field) and not (field == "timestamp" and mapping.undated)]
    if "item" in lacking and has("query"):
        lacking.remove("item")
    return lacking


_CATALOGUE_COLUMNS = frozenset({"title", "name", "productname", "prodname", "description", "brand", "store"})
# Words of the columns that describe an item beside its id (Olist's product_category_name,
# DIGINETICA's product.name.tokens), in a file with no customer or time: a catalogue's. (Not a
# price: an order's lines have one.)
_ITEM_WORDS = ("category", "brand", "title", "description", "productname", "itemname")


def property_rows(names: Sequence[str]) -> str:
    """How to read a file of items' properties one per row (RetailRocket's `property` and `value`,
    Dressipi's `feature_category_id` and `feature_value_id`), where a catalogue has one row per
    item and a column per field."""
    found = property_columns(names)
    if found is None:
        return ""
    item, name, value = found
    return (
        f"one row per property of an item (its columns `{name}` and `{value}`), where a catalogue "
        "has one row per item and a column per field: turn it into that first, for example with "
        f"pandas' frame.pivot_table(index='{item}', columns='{name}', values='{value}', aggfunc='last'), "
        "then import the result with --format catalogue"
    )


def check_categories(
    names: Sequence[str],
    path: Path,
    *,
    item: str | None = None,
    encoding: str = "utf-8",
    items_named: bool = False,
) -> None:
    """FormatError for a file of categories, which holds no events and no items: a tree of them,
    a parent beside each (RetailRocket's category_tree.csv: categoryid,parentid), or a list of
    them, each of its columns a category's (category_id,category_name; Olist's
    product_category_name_translation.csv, whose refusal shows how to put its names onto the
    items). Read as events, it was told to give a default type and a day for its undated rows,
    which fit a file of events; read as a catalogue, each category was listed as an item.

    `item` is the column a catalogue reads as its items' id, where it found one: then only a
    file named for categories whose id is a bare `id`, with no other column of a category
    (categories.csv: id,name,parent_id) or only such columns (amazon_categories.csv:
    id,category_name), is one; an id named for items (product_id), or a column of an item's
    category beside others (items_by_category.csv: id,name,category), is a catalogue's. Not a
    catalogue whose rows name a parent product (a variant's) beside a title or price, its id's
    column named unusually: it is told to name that column. A file whose columns are only a
    category's (id,name,parent_id) is one whatever its name (taxonomy.csv, export.csv), unless
    its name says its rows are items (products.csv, items.csv) or `items_named`: the mapping
    named its item or title column.
    `encoding` is the one its lines are read in (see pandas_read)."""
    keys = [header_key(name) for name in names if name != item]
    if any(word in key for key in keys for word in _DESCRIBING_WORDS):
        return
    # Told apart by its columns alone, where its name says nothing of categories, nor of items
    # (products.csv: a catalogue of variants, untitled): the mapping can still say that its
    # rows are items.
    stem = path.stem.lower()
    by_columns = (
        "categor" not in stem
        and not any(word in stem for word in _ITEMS_FILE_WORDS)
        and not items_named
        and _only_a_category_s(names)
    )
    named = by_columns or "categor" in stem
    of_categories = sum("categor" in key for key in keys)
    if item is not None and (header_key(item) != "id" or not named or 0 < of_categories < len(keys)):
        return
    parent = next((name for name in names if "parent" in header_key(name)), None)
    if parent is not None and (named or of_categories):
        what = f"a tree of categories (each one's parent, in {parent!r})"
    elif named or of_categories == len(keys):
        what = f"a list of categories ({', '.join(names)})"
    else:
        return
    translated = _translated_category(names)
    if translated is not None:
        hint = _translation_hint(path, encoding, *translated)
        raise FormatError(f"{path}: {what}, which holds no events and no items{hint}")
    raise FormatError(
        f"{path}: {what}, which holds no events and no items; edgerec reads an item's category "
        "from its catalogue's row (or an event's category column), and has no use for a file of "
        "them. Import the file of events instead, and the items with their categories as a "
        "catalogue (--format catalogue)"
        + (
            f"; if its rows are items, import it naming its id column (--format catalogue --map "
            f"item={_bare_id(names)})"
            if by_columns
            else ""
        )
    )


def _bare_id(names: Sequence[str]) -> str:
    return next(name for name in names if header_key(name) == "id")


def _only_a_category_s(names: Sequence[str]) -> bool:
    """Whether the columns are a category tree's and nothing else: a bare id, its parent's, and
    perhaps a name (id,name,parent_id), as a shop's export of its categories has them."""
    keys = sorted(header_key(name) for name in names)
    parents = [key for key in keys if "parent" in key]
    return len(parents) == 1 and [key for key in keys if key not in parents] in (["id"], ["id", "name"])


# How a column of names in another language ends (Olist's product_category_name_english).
_LANGUAGE_SUFFIXES = ("english", "eng", "en", "translation", "translated")


def _translated_category(names: Sequence[str]) -> tuple[str, str] | None:
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


def _translation_hint(path: Path, encoding: str, name: str, translated: str) -> str:
    """How to put a list's translated names onto the items' file, which names each item's
    category in `name`: a join of the two files on it."""
    products = f"PRODUCTS{_release_suffix(path)}"
    program = (
        f"import pandas as pd; {pandas_read(path, encoding, products)}.merge({pandas_read(path, encoding)}, "
        f'on={json.dumps(name)}, how="left").to_csv("products.csv", index=False)'
    )
    return (
        f": the names of the categories in {name!r} in another language, in {translated!r}. Put them "
        f"onto the file of items, which names each item's category in {name!r}, for example with "
        f"python3 -c {shlex.quote(program)} ({products} being that file: Olist's "
        "olist_products_dataset.csv), then import products.csv with --format catalogue "
        f"--map category={translated}"
    )


# Words of the columns that describe an item (a catalogue's), not a category.
# Words of a file's name that say its rows are items (products.csv, sku_export.csv).
_ITEMS_FILE_WORDS = ("item", "product", "catalog", "variant", "sku", "article", "goods", "inventor")

_DESCRIBING_WORDS = ("title", "productname", "itemname", "brand", "description", "price", "stock")


# Words of the column that names a property in a file of them, one per row.
_PROPERTY_WORDS = frozenset({"property", "feature"})


def property_columns(names: Sequence[str]) -> tuple[str, str, str] | None:
    """The item, property and value columns of a file that holds items' properties one per row
    (item, property, value); None for another file."""
    words = {name: set(re.findall(r"[a-z]+", name.lower())) for name in names}
    properties = [n for n in names if words[n] & _PROPERTY_WORDS and "value" not in words[n]]
    values = [
        n for n in names if "value" in words[n] and (words[n] & _PROPERTY_WORDS or header_key(n) == "value")
    ]
    if not properties or not values:
        return None
    items = {header_key(alias) for alias in COLUMN_ALIASES["item"]} | {"id"}
    others = [n for n in names if n not in (properties[0], values[0])]
    item = next((n for n in others if header_key(n) in items), others[0] if others else "id")
    return item, properties[0], values[0]


def _title_line(names: Sequence[str]) -> bool:
    """Whether a first line of one cell and blanks is a title over the table, not its header."""
    return len(names) > 1 and sum(bool(str(name).strip()) for name in names) == 1


def looks_like_data(names: Sequence[str]) -> bool:
    """Whether a first line is a row of data (a number, a date, a time or a URL among its cells)
    rather than the columns' names: the file has no header line."""
    return any(
        _is_number(name)
        or convert.day_order([name]) != "none"
        or (":" in name and not name.endswith(RECBOLE_TYPES))
        for name in names
    )


def _hint(names: Sequence[str], lacking: list[str]) -> str:
    """What such a file may be instead: one without a header line, a catalogue, a catalogue of
    one property per row, a file of one kind of event."""
    if property_columns(names):
        return f"; the file holds {property_rows(names)}"
    if _title_line(names):
        return (
            "; the first line is not the column names but a title above them (a report's heading): "
            "delete the lines above the column names, then import the file again"
        )
    if names and names[0].lower().startswith("sep=") and len(names[0]) <= 5:
        return (
            "; the first line is Excel's `sep=` line (it tells Excel the delimiter), not the "
            "column names: delete that line and import the file again"
        )
    if looks_like_data(names):
        return (
            "; the first line looks like data, not column names: if the file has no header line, "
            "give header=false (--map header=false on the command line) and name columns by "
            "position (user=0 item=1 timestamp=2 type=3, or "
            "default_type=item_viewed where no column holds the type; a catalogue's item=0 title=1 "
            "with --format catalogue)"
        )
    keys = {header_key(name) for name in names}
    described = "item" not in lacking and any(word in key for key in keys for word in _ITEM_WORDS)
    if {"user", "timestamp"} <= set(lacking) and (keys & _CATALOGUE_COLUMNS or described):
        return "; if it is a catalogue (items, not events), import it with --format catalogue"
    return _ONE_KIND if "type" in lacking else ""


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter of a file's first lines: a tab, semicolon, pipe or comma; spaces (" ", runs
    of them) where the lines have none of those and each splits into as many words (Epinions'
    `user item rating`, Ciao's columns padded with spaces); a comma where it cannot tell."""
    best, score = ",", -1
    for candidate in ("\t", ";", "|", ","):
        counts = [line.count(candidate) for line in lines[:10]]
        if counts and min(counts) > 0 and min(counts) == max(counts) and counts[0] > score:
            best, score = candidate, counts[0]
    if score < 0:
        for candidate in ("\t", ";", "|", ","):
            if lines and lines[0].count(candidate):
                return candidate
        if len({len(line.split()) for line in lines[:10]} - {0}) == 1 and len(lines[0].split()) > 1:
            return " "
    return best


def own_line(parent_line: str | None) -> str | None:
    """The column of an order line's own number beside the one that names its parent line:
    Magento's `item_id` beside `parent_item_id`; None where the name says no such column.

    >>> own_line("parent_item_id"), own_line("Parent Item ID"), own_line("parent"), own_line("up")
    ('item_id', 'Item ID', None, None)
    """
    match = re.fullmatch(r"parent[ _]?(.+)", parent_line or "", flags=re.IGNORECASE)
    return match[1] if match else None


# A file of events reads no item's title, price, brand or stock: a listing from it would list
# its item blank over what the catalogue gave it. A delisting needs only the item.
_LISTINGS = frozenset({EventType.ITEM_LISTED.value, EventType.ITEM_UPDATED.value})
_LISTING_HERE = (
    "catalogue_row",
    "type: an item's listing in a file of events, which reads no title, price or stock: put the "
    "listings in a file of their own and import it with --format catalogue (edgerec's own export: "
    "import it without --map)",
)


def rated_by(
    mapping: ColumnMapping, raw: Mapping[str, list[Any]], columns: Mapping[str, list[Any]]
) -> tuple[str, frozenset[str | float]] | None:
    """Where a file has a column of its own for the type beside its ratings' (a log of views,
    ratings and purchases): that column, and those of its values read as a rating (empty where a
    default type filled a blank one), a number kept as one (a JSON line's "type": 2, which pandas
    reads as the number 2, not "2"). None for a file whose type is not in its own column."""
    if "type" not in raw or "value" not in raw or mapping.type == mapping.value or mapping.type is None:
        return None
    rated = EventType.RATED.value
    kinds = {
        "" if convert.is_blank(k) else k if isinstance(k, int | float) else str(k)
        for k, t in zip(raw["type"], columns["type"], strict=True)
        if t == rated
    }
    return mapping.type, frozenset(kinds)


def typed_columns(
    raw: Mapping[str, list[Any]],
    mapping: ColumnMapping,
    source_timezone: str,
    n: int,
    lines_before: set[str] | None = None,
) -> tuple[dict[str, list[Any]], list[Problem]]:
    """Source cells (text or typed) -> event columns; one problem per row. `lines_before`, kept
    from chunk to chunk, holds the order lines' own numbers in the chunk before (replaced by
    this one's)."""
    problems: list[Problem] = [None] * n
    columns: dict[str, list[Any]] = {}
    if "type" in raw:
        kinds = raw["type"]
        if mapping.default_type:  # also the type of a row whose type cell is empty
            kinds = [mapping.default_type if convert.is_blank(kind) else kind for kind in kinds]
        columns["type"], found = map_actions(kinds, mapping.actions)
        merge(problems, found)
    elif mapping.default_type:
        columns["type"] = [mapping.default_type] * n
    else:
        columns["type"] = [None] * n
        merge(problems, [("missing_type", "type: no type column and no default_type")] * n)
    merge(problems, [_LISTING_HERE if kind in _LISTINGS else None for kind in columns["type"]])
    if "unsold" in raw:  # a sale of an order cancelled; an event log's view beside it is still one
        sold = EventType.PURCHASED.value
        merge(
            problems,
            [p if kind == sold else None for p, kind in zip(raw["unsold"], columns["type"], strict=True)],
        )
    stamps = raw.get("occurred_at", [None] * n)
    if "time_of_day" in raw:
        stamps = [_with_time(day, clock) for day, clock in zip(stamps, raw["time_of_day"], strict=True)]
    columns["occurred_at"], found = times(stamps, mapping.timestamp_unit, source_timezone, mapping.day_first)
    merge(problems, found)
    # A child whose parent line is not among the lines read (an export of simple products only)
    # is the only record of its sale; a file with no column of its lines' own numbers is not known.
    # The lines read are this chunk's and the one's before: a parent line may end a chunk and its
    # child start the next (a file's other chunks are not held).
    present = {_text(v, True) for v in raw["line"]} if "line" in raw else None
    if present is not None and lines_before is not None:
        present, own = present | lines_before, present
        lines_before.clear()
        lines_before.update(own)
    for i, parent in enumerate(raw.get("parent_line", ())):
        if not convert.is_blank(parent) and problems[i] is None:
            line = _text(parent, True)
            if present is not None and line not in present:
                continue
            problems[i] = (
                "child_line",
                f"part of the order's line {line} (a configurable product's child): the sale is that line's",
            )
    for name in (*ID_COLUMNS, *PAYLOAD_COLUMNS):
        if name not in raw:
            continue
        values = raw[name]
        if name in ("price_paid", "quantity"):
            values = convert.no_placeholders(values)
        if name in ID_COLUMNS or name not in _NUMERIC:
            columns[name] = [_text(v, name in ID_COLUMNS) for v in values]
        elif _NUMERIC[name] == "int":
            columns[name], found = convert.ints(values, name)
            merge(problems, found)
        elif _NUMERIC[name] == "price":
            columns[name], found = convert.prices(values, name)
            merge(problems, found)
        else:
            columns[name], found = convert.floats(values, name)
            merge(problems, found)
    return columns, problems


def _with_time(day: Any, clock: Any) -> Any:
    """A date and a time of day from two columns, as one time ('2024-03-01 10:00'); where the
    time column holds the whole time, that."""
    if convert.is_blank(clock):
        return day
    if not convert.is_time_of_day(clock):
        return clock
    return day if convert.is_blank(day) else f"{day} {clock}"


def _text(value: Any, ident: bool = False) -> Any:
    """A text cell as read: an `ident` (an id) written as a whole float is that number."""
    if value is None:
        return None
    if isinstance(value, str):
        return (text_id(value) if ident else value) if value.strip() else None
    if isinstance(value, bool | dict | list):
        return value  # left for validation to name
    if isinstance(value, float | int):
        return number_id(value)
    return str(value)


def times(
    values: Sequence[Any], unit: str, source_timezone: str, day_first: bool | None = None
) -> tuple[list[Any], list[Problem]]:
    """Event times to microseconds UTC; "auto" takes numbers as epoch times, text as dates."""
    if unit == "iso":
        return convert.datetime_micros(values, source_timezone, dayfirst=day_first)
    if "%" in unit:
        return convert.datetime_micros(values, source_timezone, fmt=unit)
    if unit != "auto":
        return convert.epoch_micros(values, unit)
    numeric = [i for i, v in enumerate(values) if _is_number(v)]
    if len(numeric) == len(values):
        return _number_times(values, source_timezone)
    out: list[Any] = [None] * len(values)
    problems: list[Problem] = [None] * len(values)
    groups = [numeric, sorted(set(range(len(values))) - set(numeric))]
    for group, kind in zip(groups, ("epoch", "text"), strict=True):
        if not group:
            continue
        part = [values[i] for i in group]
        if kind == "epoch":
            parsed, found = _number_times(part, source_timezone)
        else:
            parsed, found = convert.datetime_micros(part, source_timezone, dayfirst=day_first)
        for i, value, problem in zip(group, parsed, found, strict=True):
            out[i], problems[i] = value, problem
    return out, problems


def _number_times(values: Sequence[Any], source_timezone: str) -> tuple[list[Any], list[Problem]]:
    """Times written as numbers: epoch times (the unit read from their size), or dates written
    as one number."""
    compact = _compact_layout(values[:200])
    if compact is not None:
        return convert.datetime_micros([str(v).strip() for v in values], source_timezone, fmt=compact)
    return convert.epoch_micros(values, _guess_unit(values[:200]))


_COMPACT_LAYOUTS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}


def _compact_layout(sample: Sequence[Any]) -> str | None:
    """The layout of dates written as one number (20240301, 20240301100000), or None. As epoch
    times such numbers are before 1990 or after 2500 in every unit, so they cannot be those."""
    texts = [str(v).strip() for v in sample if not isinstance(v, float)]
    if not texts or len(texts) < len(sample) or len({len(t) for t in texts}) != 1:
        return None
    layout = _COMPACT_LAYOUTS.get(len(texts[0]))
    if layout is None or not all(t.isdigit() and t[:2] in ("19", "20") for t in texts):
        return None
    return layout


def _guess_unit(sample: Sequence[Any]) -> str:
    # The median, so that a few absurd values do not change the unit of every other row.
    with np.errstate(over="ignore"):  # two middle values near 1e308 sum to inf: still "ns"
        magnitude = float(np.median([abs(float(v)) for v in sample])) if sample else 0.0
    return "ns" if magnitude > 1e17 else "us" if magnitude > 1e14 else "ms" if magnitude > 1e11 else "s"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def column_position(column: str) -> int | None:
    """A column given by its number from 0 (a file read with header=false), else None."""
    return int(column) if column.isdigit() else None


def python_literal(line: str) -> Any:
    """The Python dict literal a line holds (Amazon 2014's JSON-lines files), else None."""
    if not line.lstrip().startswith("{"):
        return None
    try:  # literal_eval evaluates literals only: no names, calls or operators
        return ast.literal_eval(line.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
