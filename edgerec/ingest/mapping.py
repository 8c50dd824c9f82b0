"""Column mappings at work: how a file's columns are checked and typed, and what a refusal
says to do (the ColumnMapping and how columns are found are in `columns`, the joins a refusal
gives for a release's tables in `join_advice`, the readers in `readers`).

Typed values (JSON, Parquet) are used as they are; text is parsed.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from edgerec.domain import EventType, number_id, text_id
from edgerec.domain.events import EARLIEST, latest_allowed
from edgerec.ingest import convert
from edgerec.ingest.batch import RECBOLE_TYPES, header_key, map_actions, merge
from edgerec.ingest.columns import (
    COLUMN_ALIASES,
    COLUMN_FIELDS,
    DELIMITER_NAMES,
    UNDATED_DAY,
    ColumnMapping,
    by_key,
    event_times,
    missing_fields,
    resolve_columns,
    time_named,
    undated_start_us,
)
from edgerec.ingest.errors import FormatError
from edgerec.ingest.join_advice import joined_hint, translated_category, translation_hint
from edgerec.ingest.pandas_lines import pandas_read, unused_name
from edgerec.ingest.streams import JSON_LINES_SUFFIXES, data_suffix
from edgerec.ingest.text import head_lines, json_loads
from edgerec.ingest.validate import ID_COLUMNS, PAYLOAD_COLUMNS, Problem
from edgerec.store.codec import to_micros

_NUMERIC = {"quantity": "int", "stock": "int", "price_paid": "price", "price": "price", "value": "float"}


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

    actual = by_key(names)
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
    names = {char: name for name, char in DELIMITER_NAMES.items() if not name.startswith("\\")}
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
    actual = by_key(names)
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
    actual = by_key(names)
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
    if resolved.session is not None and header_key(resolved.session) in by_key(names):
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
    actual, defaults = by_key(names), ColumnMapping()
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
    actual = by_key(names)
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
    lacking = missing_fields(resolved, names, ("user", "item", "timestamp", "type"))
    return not lacking or (lacking == ["type"] and resolved.default_type is not None)


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
    named = [name for name in COLUMN_FIELDS if getattr(mapping, name) not in (None, getattr(defaults, name))]
    problems = [
        f"{field}={getattr(mapping, field)}: no such column"
        for field in missing_fields(mapping, names, named)
    ]
    lacking = _needed_lacking(mapping, lambda field: not missing_fields(mapping, names, (field,)))
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
            else joined_hint(names, lacking, path, encoding) or _hint(names, lacking)
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
    written = unused_name(path, "long.csv")
    program = (
        f"import pandas as pd; {read}.melt(id_vars={json.dumps(ids)}, "
        'var_name="day", value_name="quantity").astype({"quantity": float}).query("quantity > 0")'
        f"{own}.to_csv({json.dumps(written)}, index=False)"
    )
    shown = ", ".join(days) if len(days) <= 3 else f"{days[0]}, {days[1]}, ..., {days[-1]}"
    dates = " (with each day written as its date: M5's calendar.csv gives d_1's)" if numbered else ""
    customer = f"its store's, from {store!r}" if store else "the shop's, in a column of its own"
    raise FormatError(
        f"{path}: one row per item and a column per day ({shown}), where a file of sales has a row "
        f"per sale: reshape it to one row per item and day first, for example with python3 -c "
        f"{shlex.quote(program)}, then import {written}{dates} with --map timestamp=day "
        f"--map quantity=quantity --map user={store or 'shop'} (daily sales have no customer: each is "
        f"imported as {customer})"
    )


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
            listed.append({name: json_loads(text)} if text else None)
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
        json_loads(head[0] if head else "{}")
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
_UNDATED = (
    f"; for a file with no times at all, give undated={UNDATED_DAY} (the day its rows are dated, "
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
    translated = translated_category(names)
    if translated is not None:
        hint = translation_hint(path, encoding, *translated)
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
) -> tuple[dict[str, list[Any]], list[Problem], list[bool] | None]:
    """Source cells (text or typed) -> event columns; one problem per row; and which rows' times
    are a date alone (`convert.dates_alone`), None where none is. `lines_before`, kept from chunk
    to chunk, holds the order lines' own numbers in the chunk before (replaced by this one's)."""
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
    unit = mapping.timestamp_unit
    columns["occurred_at"], found = times(stamps, unit, source_timezone, mapping.day_first)
    merge(problems, found)
    read_as_text = unit in ("auto", "iso") or "%" in unit  # epoch times always have a time of day
    days = convert.dates_alone(stamps, columns["occurred_at"], source_timezone) if read_as_text else None
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
    return columns, problems, days


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
