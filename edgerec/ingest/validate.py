"""Batch validation of normalised rows, column by column, agreeing with the domain's rules.

The domain (edgerec.domain.events) validates one event at a time. An import validates tens of
thousands of rows per chunk, so the same rules are applied here per column, checking each
distinct value once. A Hypothesis test keeps the two in agreement: a row passes here iff the
domain's dataclass accepts it.

Columns are lists of Python values, one per row: `type` (an EventType value), `occurred_at`
(int microseconds UTC), the id columns, and payload columns named like the events' fields.
None in a payload column means "not given": the dataclass default applies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, fields
from datetime import UTC, datetime
from typing import Any

import numpy as np

from edgerec.domain.events import (
    EARLIEST,
    EARLIEST_US,
    EVENT_CLASSES,
    LAST_US,
    MAX_ATTRIBUTES,
    MAX_ID_LENGTH,
    MAX_PRICE,
    MAX_QUANTITY,
    MAX_STOCK,
    MAX_TEXT_LENGTH,
    PRICE_RULE,
    STOCK_AT_RULE,
    STOCK_RULE,
    Event,
    EventType,
    latest_allowed,
    text_flaw,
    unprintable_flaw,
)
from edgerec.store.codec import to_micros

ID_COLUMNS = ("user_id", "session_id", "item_id", "store_id", "location", "device")
_COMMON = {f.name for f in fields(Event)}
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    t.value: tuple(f.name for f in fields(cls) if f.name not in _COMMON) for t, cls in EVENT_CLASSES.items()
}
PAYLOAD_COLUMNS = tuple(sorted({name for names in TYPE_FIELDS.values() for name in names}))


def _default(cls: type[Event], name: str) -> Any:
    for f in fields(cls):
        if f.name == name:
            if f.default is not MISSING:
                return f.default
            if f.default_factory is not MISSING:
                return f.default_factory()
    return None


DEFAULTS: dict[str, dict[str, Any]] = {
    t.value: {name: _default(cls, name) for name in TYPE_FIELDS[t.value]} for t, cls in EVENT_CLASSES.items()
}

Problem = tuple[str, str] | None  # (reason code, detail)


# --- per-value checks, mirroring edgerec.domain.events -------------------------------------


def _id_problem(name: str, value: object, required: bool) -> Problem:
    if value is None:
        return (f"missing_{name}", f"{name}: is required") if required else None
    if not isinstance(value, str) or not value:
        return f"invalid_{name}", f"{name}: must be a non-empty string"
    if value.isspace():
        return f"invalid_{name}", f"{name}: is only spaces"
    if len(value) > MAX_ID_LENGTH:
        return f"invalid_{name}", f"{name}: is longer than {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        return f"invalid_{name}", f"{name}: {unprintable_flaw(value)}"
    return None


def _text_problem(name: str, value: object, limit: int, allow_empty: bool = False) -> Problem:
    if not isinstance(value, str):
        return f"invalid_{name}", f"{name}: must be a string"
    if not value and not allow_empty:
        return f"invalid_{name}", f"{name}: must not be empty"
    if len(value) > limit:
        return f"invalid_{name}", f"{name}: is longer than {limit} characters"
    flaw = text_flaw(value)
    if flaw:
        return f"invalid_{name}", f"{name}: {flaw}"
    return None


def _optional_text(limit: int) -> Callable[[str, object], Problem]:
    return lambda name, value: None if value is None else _text_problem(name, value, limit)


def _quantity(name: str, value: object) -> Problem:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"invalid_{name}", f"{name}: must be an integer"
    if value < 0:  # an invoice's return or cancellation line: undone elsewhere, not bought
        return (
            f"invalid_{name}",
            f"{name}: {value} is negative (a return or a cancellation?); it is no purchase",
        )
    if not 1 <= value <= MAX_QUANTITY:
        return f"invalid_{name}", f"{name}: must be between 1 and {MAX_QUANTITY}"
    return None


def _price(name: str, value: object) -> Problem:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"invalid_{name}", f"{name}: must be a number"
    if not math.isfinite(value) or not 0 <= value <= MAX_PRICE:
        return f"invalid_{name}", f"{name}: {PRICE_RULE}"
    return None


def _stock(name: str, value: object) -> Problem:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"invalid_{name}", f"{name}: must be an integer"
    if not 0 <= value <= MAX_STOCK:
        return f"invalid_{name}", f"{name}: {STOCK_RULE}"
    return None


def _stock_at(name: str, value: object) -> Problem:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"invalid_{name}", f"{name}: must be integer microseconds"
    if not EARLIEST_US < value <= LAST_US:
        return f"invalid_{name}", f"{name}: {STOCK_AT_RULE}"
    return None


def _rating(name: str, value: object) -> Problem:
    if value is None:  # an empty cell is no rating, not a rating of 0
        return f"missing_{name}", f"{name}: a rating needs its value"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"invalid_{name}", f"{name}: must be a number"
    if not math.isfinite(value) or not -1e6 <= value <= 1e6:
        return f"invalid_{name}", f"{name}: must be a finite number"
    return None


def _attributes(required: bool) -> Callable[[str, object], Problem]:
    def check(name: str, value: object) -> Problem:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            return f"invalid_{name}", f"{name}: must be a mapping of names to strings"
        if len(value) > MAX_ATTRIBUTES:
            return f"invalid_{name}", f"{name}: has more than {MAX_ATTRIBUTES} entries"
        for key, item in value.items():
            problem = _text_problem(name, key, MAX_ID_LENGTH) or _text_problem(
                name, item, MAX_TEXT_LENGTH, allow_empty=True
            )
            if problem:
                return problem
        return None

    return check


_short_text = _optional_text(MAX_ID_LENGTH)
_long_text = _optional_text(MAX_TEXT_LENGTH)

# (type, field) -> check; the order of fields follows each dataclass's checks.
_CHECKS: dict[str, dict[str, Callable[[str, object], Problem]]] = {
    EventType.ITEM_VIEWED: {"category": _short_text},
    EventType.ADDED_TO_CART: {"quantity": _quantity, "category": _short_text},
    EventType.REMOVED_FROM_CART: {"quantity": _quantity},
    EventType.PURCHASED: {"quantity": _quantity, "price_paid": _price, "category": _short_text},
    EventType.ITEM_FAVOURITED: {"category": _short_text},
    EventType.RATED: {"value": _rating},
    EventType.SEARCHED: {"query": lambda n, v: _text_problem(n, "" if v is None else v, MAX_TEXT_LENGTH)},
    EventType.SESSION_STARTED: {},
    EventType.SESSION_ENDED: {},
    EventType.ITEM_LISTED: {
        "title": lambda n, v: None if v is None else _text_problem(n, v, MAX_TEXT_LENGTH, allow_empty=True),
        "category": _long_text,
        "brand": _long_text,
        "price": _price,
        "stock": _stock,
        "description": _long_text,
        "attributes": _attributes(False),
        "stock_at": _stock_at,
    },
    EventType.ITEM_UPDATED: {
        "title": _long_text,
        "category": _long_text,
        "brand": _long_text,
        "price": _price,
        "stock": _stock,
        "description": _long_text,
        "attributes": _attributes(False),
    },
    EventType.ITEM_DELISTED: {},
}
# Payload fields without which an event of one type says nothing: checked even when a file
# has no column for them.
_NEEDED_BY = {"query": EventType.SEARCHED, "value": EventType.RATED}
NEEDS_USER = {t.value: cls.needs_user for t, cls in EVENT_CLASSES.items()}
NEEDS_ITEM = {t.value: cls.needs_item for t, cls in EVENT_CLASSES.items()}


def _memo_column(values: Sequence[object], check: Callable[[object], Problem]) -> list[Problem]:
    """Applies `check` once per distinct value (values are hashable scalars or not).

    Values that are equal but of another type (False and 0, 1.0 and 1) are checked apart: the
    domain refuses a boolean stock and a fractional quantity that the number would pass.
    """
    memo: dict[Any, tuple[type, Problem]] = {}
    out: list[Problem] = []
    append = out.append
    for value in values:
        try:
            kind, problem = memo[value]
            if kind is not value.__class__:
                problem = check(value)
        except KeyError:
            problem = check(value)
            memo[value] = (value.__class__, problem)
        except TypeError:  # unhashable, e.g. a mapping
            problem = check(value)
        append(problem)
    return out


# The last time every reader can show: a day before the end of 9999, in any zone's local time too.
_LAST_TIME = to_micros(datetime(9999, 12, 30, 23, 59, 59, 999_999, tzinfo=UTC))


def time_problems(
    occurred_at: Sequence[object], now_micros: int | None = None, *, recorded: bool = False
) -> list[Problem]:
    """Checks microsecond timestamps against the domain's window (1990 .. now + 1 day). A
    `recorded` log's times are bounded only by the last day a time can be shown (9999): a kiosk
    whose clock ran fast logged them, and its restored backup must hold them still."""
    earliest = to_micros(EARLIEST)
    latest = _LAST_TIME if recorded else now_micros if now_micros is not None else to_micros(latest_allowed())
    n = len(occurred_at)
    if n and all(type(v) is int for v in occurred_at):
        array = np.fromiter((min(max(v, -(2**62)), 2**62) for v in occurred_at), np.int64, n)
        old = array < earliest
        future = array > latest
        if not old.any() and not future.any():
            return [None] * n
    out: list[Problem] = []
    too_late = "past the last day a time can be shown (9999-12-30)" if recorded else "in the future"
    for value in occurred_at:
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(("bad_timestamp", "occurred_at: must be a time"))
        elif value < earliest:
            out.append(("timestamp_too_old", f"occurred_at: is before {EARLIEST.date()}"))
        elif value > latest:
            out.append(("timestamp_in_future", f"occurred_at: is {too_late}"))
        else:
            out.append(None)
    return out


def validate_columns(
    columns: Mapping[str, Sequence[object]], n: int, *, recorded: bool = False
) -> list[Problem]:
    """The first problem of each row, or None for a row the domain would accept (for a
    `recorded` log, edgerec's own export, at whatever time it was accepted)."""
    types = columns["type"]
    problems: list[Problem] = [
        None if t in TYPE_FIELDS else ("unknown_type", f"type: unknown event type {t!r}") for t in types
    ]
    _merge(problems, time_problems(columns["occurred_at"], recorded=recorded))
    for name in ID_COLUMNS:
        values = columns.get(name)
        if values is None:
            if name in ("user_id", "item_id"):
                need = NEEDS_USER if name == "user_id" else NEEDS_ITEM
                _merge(
                    problems,
                    [(f"missing_{name}", f"{name}: is required") if need.get(t) else None for t in types],
                )
            continue
        if name == "user_id":
            _merge(problems, _required_ids(name, values, types, NEEDS_USER))
        elif name == "item_id":
            item_problems = _required_ids(name, values, types, NEEDS_ITEM)
            for i, (t, v) in enumerate(zip(types, values, strict=True)):
                if v is not None and NEEDS_ITEM.get(t) is False:
                    item_problems[i] = item_problems[i] or (
                        "invalid_item_id",
                        f"item_id: {t} events have no item",
                    )
            _merge(problems, item_problems)
        else:
            _merge(problems, _id_column(name, values))
    for name in PAYLOAD_COLUMNS:
        values = columns.get(name)
        if values is None:
            needed_by = _NEEDED_BY.get(name)  # a field its type cannot do without: checked as empty
            if needed_by is not None:
                _merge(problems, [_CHECKS[t][name](name, None) if t == needed_by else None for t in types])
            continue
        by_type: dict[str, Callable[[object], Problem]] = {}
        for t, checks in _CHECKS.items():
            if name in checks:
                by_type[t] = lambda v, c=checks[name], n=name: c(n, v)
        if not by_type:
            continue
        column: list[Problem] = [None] * n
        for t, check in by_type.items():
            index = [i for i, rt in enumerate(types) if rt == t]
            if not index:
                continue
            for i, p in zip(index, _memo_column([values[i] for i in index], check), strict=True):
                column[i] = p
        _merge(problems, column)
    return problems


def _required_ids(
    name: str, values: Sequence[object], types: Sequence[object], need: Mapping[str, bool]
) -> list[Problem]:
    base = _id_column(name, values)
    return [
        (f"missing_{name}", f"{name}: is required")
        if v is None and need.get(t)  # type: ignore[call-overload]
        else p
        for p, v, t in zip(base, values, types, strict=True)
    ]


def _id_column(name: str, values: Sequence[object]) -> list[Problem]:
    """`_id_problem` of each value (an absent one is no problem here). A column of plain ids
    is told so by C loops over the whole column, not a check per distinct value."""
    given = [v for v in values if v is not None]
    if (
        all(type(v) is str for v in given)
        and all(given)  # none empty
        and max(map(len, given), default=0) <= MAX_ID_LENGTH  # type: ignore[arg-type]
        and not any(map(str.isspace, given))  # type: ignore[arg-type]
        and all(map(str.isprintable, given))  # type: ignore[arg-type]
    ):
        return [None] * len(values)
    return _memo_column(values, lambda v: _id_problem(name, v, False))


def _merge(problems: list[Problem], more: Sequence[Problem]) -> None:
    for i, p in enumerate(more):
        if p is not None and problems[i] is None:
            problems[i] = p


def payload_of(event_type: str, row_values: Mapping[str, object]) -> dict[str, Any]:
    """The log payload the domain would store for these field values (defaults filled, Nones dropped)."""
    payload: dict[str, Any] = {}
    for name, default in DEFAULTS[event_type].items():
        value = row_values.get(name)
        if value is None:
            value = default
        if value is None:
            continue
        payload[name] = dict(value) if isinstance(value, Mapping) else value
    return payload
