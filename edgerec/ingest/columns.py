"""Which source column holds each event field: the ColumnMapping, the common names of each
field's column, and how a file's columns are found under them (resolve_columns), its time's by
the words of its name."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from edgerec.domain import EventType
from edgerec.ingest import convert
from edgerec.ingest.batch import header_key, map_actions
from edgerec.ingest.errors import FormatError


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
            given["delimiter"] = DELIMITER_NAMES.get(given["delimiter"].lower(), given["delimiter"])
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


# The day a refusal names for undated= where a file has no times (an example: any day will do).
UNDATED_DAY = "2024-01-01"


DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";", "pipe": "|"}


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


COLUMN_FIELDS = (*COLUMN_ALIASES, "store_id", "location", "device", "time_of_day")


# A column naming the order (WooCommerce's "Order Number", Magento's increment_id, Olist's
# order_id): beside it, a product's id or SKU is what was sold, and an `item_id` or "Item #" the
# order's line (Magento's line id; WooCommerce's 1, 2, ... in each order).
ORDER_COLUMNS = frozenset(
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


def by_key(names: Sequence[str]) -> dict[str, str]:
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
    actual = by_key(names)
    defaults = ColumnMapping()
    chosen: dict[str, str] = {}
    guessed: list[str] = []
    searched: list[str] = []  # fields whose default column is one of their aliases, in its rank
    for field_name in COLUMN_FIELDS:
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
    orders = [name for key, name in actual.items() if key in ORDER_COLUMNS]
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
    return sorted((name for name in names if time_named(name)), key=later_step)


def later_step(name: str) -> bool:
    """Whether a time column's name says it is a later step of an order (its shipping's)."""
    return any(word.startswith(_LATER_STEPS) for word in _name_words(name))


def missing_fields(mapping: ColumnMapping, names: Sequence[str], fields: Sequence[str]) -> list[str]:
    """Those of `fields` whose column (as the mapping names it) is not among `names`."""
    keys = {header_key(name) for name in names}
    return [field for field in fields if header_key(getattr(mapping, field) or "") not in keys]
