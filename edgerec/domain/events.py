"""Typed, immutable, validated domain events: what shoppers and operators did."""

from __future__ import annotations

import math
import numbers
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 10_000
MAX_ATTRIBUTES = 200
MAX_QUANTITY = 1_000_000
MAX_PRICE = 1e12
MAX_STOCK = 10**12
PRICE_RULE = f"must be a finite number between 0 and {MAX_PRICE:,.0f}"
STOCK_RULE = f"must be between 0 and {MAX_STOCK:,}"
STOCK_AT_RULE = "must be microseconds UTC after 1990-01-01 and before 9999-12-31"
# Timestamps outside these bounds are treated as corrupt input, not as real events.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# EARLIEST in microseconds: a catalogue file's rows, which carry no time, are dated so.
EARLIEST_US = 631_152_000_000_000
# The last time every reader can show (a day before the end of 9999), in microseconds: the
# latest a stock may be said to be counted (`ItemListed.stock_at`).
LAST_US = 253_402_214_399_999_999
LATEST_AHEAD_DAYS = 1


class EventError(ValueError):
    """A bad event: names the field and the problem, and nothing is written."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


# --- validation helpers -------------------------------------------------------------------


def latest_allowed(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) + timedelta(days=LATEST_AHEAD_DAYS)


def _check_time(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise EventError("occurred_at", "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise EventError("occurred_at", "must be timezone-aware (UTC is assumed nowhere)")
    value = value.astimezone(UTC)
    if value < EARLIEST:
        raise EventError("occurred_at", f"{value.isoformat()} is before {EARLIEST.date()}")
    if value > latest_allowed():
        raise EventError("occurred_at", f"{value.isoformat()} is in the future")
    return value


def _check_id(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise EventError(name, "is required (a non-empty string)")
    _check_optional_id(name, value)


def _check_optional_id(name: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value:
        raise EventError(name, "must be a non-empty string or None")
    flaw = id_flaw(value)
    if flaw:
        raise EventError(name, flaw)


def number_id(value: float | int) -> str:
    """A number read as an id, as the importer reads it: a whole float as the whole number, for
    an id column with a gap is float in pandas (30.0, or 1e2 in JSON, is customer 30 or 100)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_FLOAT_WRITTEN_WHOLE = re.compile(r"\s*(\d+)\.0+\s*")  # ids are read trimmed
_EXCEL_TEXT = re.compile(r'\s*="([^"]*)"\s*')


def text_id(value: str) -> str:
    """An id written as text, as the importer reads it: a whole number written as a float (a
    pandas column with a gap, saved as CSV, writes customer 17850 as 17850.0) is that number,
    as `number_id` reads the same cell in JSON, Parquet or a workbook; an id written as an
    Excel formula to keep its leading zeros, ="0108775015", is what it quotes.

    >>> text_id("17850.0"), text_id('="0108775015"')
    ('17850', '0108775015')
    """
    if '="' in value and (excel := _EXCEL_TEXT.fullmatch(value)):
        value = excel.group(1)
    whole = _FLOAT_WRITTEN_WHOLE.fullmatch(value) if "." in value else None  # read for every id cell
    return whole.group(1) if whole else value


def id_flaw(value: str) -> str | None:
    """What makes a non-empty string unfit as an id, or None."""
    if value.isspace():
        return "is only spaces"
    if len(value) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        return unprintable_flaw(value)
    return None


def unprintable_flaw(value: str) -> str:
    """What is wrong with an id that is not printable."""
    if has_surrogates(value):
        return SURROGATE
    odd = next(c for c in value if not c.isprintable())
    return f"contains a control or invisible character (U+{ord(odd):04X}); ids are printable text"


SURROGATE = "contains a surrogate code point, which is not a character"


def has_surrogates(value: str) -> bool:
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_flaw(value: str) -> str | None:
    """What makes a string unfit to store as text, or None.

    A NUL ends a string in C and PostgreSQL refuses it. A surrogate code point is not a
    character: it cannot be written as UTF-8, and a pair of them would read back as one
    character, so the event read back would differ from the one recorded.
    """
    if "\x00" in value:
        return "contains a NUL character"
    return SURROGATE if has_surrogates(value) else None


def _check_text(name: str, value: object, limit: int, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        raise EventError(name, "must be a string")
    if not value and not allow_empty:
        raise EventError(name, "must not be empty")
    if len(value) > limit:
        raise EventError(name, f"is longer than {limit} characters")
    flaw = text_flaw(value)
    if flaw:
        raise EventError(name, flaw)


def _check_optional_text(name: str, value: object, limit: int) -> None:
    if value is not None:
        _check_text(name, value, limit)


def _whole(name: str, value: object) -> int:
    """An integer, numpy's and pandas' too (stored as a plain int); not a bool."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EventError(name, "must be an integer")
    return int(value)


def _real(name: str, value: object) -> int | float:
    """A number, numpy's, pandas' and a Decimal too (stored as a plain float); not a bool. A plain int
    stays one: it is part of the event's id as written."""
    if isinstance(value, Decimal):  # a database's or a form's exact decimal (Django, SQLAlchemy)
        value = float(value) if not value.is_snan() else math.nan
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EventError(name, "must be a number")
    return value if type(value) in (int, float) else float(value)  # type: ignore[return-value]


def _check_quantity(value: object) -> int:
    quantity = _whole("quantity", value)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise EventError("quantity", f"must be between 1 and {MAX_QUANTITY}")
    return quantity


def _check_optional_price(name: str, value: object) -> float | None:
    if value is None:
        return None
    price = _real(name, value)
    if not math.isfinite(price) or not 0 <= price <= MAX_PRICE:
        raise EventError(name, PRICE_RULE)
    return price


def _check_optional_stock_at(value: object) -> int | None:
    if value is None:
        return None
    at = _whole("stock_at", value)
    if not EARLIEST_US < at <= LAST_US:
        raise EventError("stock_at", STOCK_AT_RULE)
    return at


def _check_optional_stock(value: object) -> int | None:
    if value is None:
        return None
    stock = _whole("stock", value)
    if not 0 <= stock <= MAX_STOCK:
        raise EventError("stock", STOCK_RULE)
    return stock


def _check_attributes(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise EventError("attributes", "must be a mapping of names to strings")
    if len(value) > MAX_ATTRIBUTES:
        raise EventError("attributes", f"has more than {MAX_ATTRIBUTES} entries")
    for key, item in value.items():
        _check_text(f"attributes.{key}", key, MAX_ID_LENGTH)
        _check_text(f"attributes.{key}", item, MAX_TEXT_LENGTH, allow_empty=True)
    return MappingProxyType(dict(value))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    return value


class EventType(StrEnum):
    ITEM_VIEWED = "item_viewed"
    ADDED_TO_CART = "added_to_cart"
    REMOVED_FROM_CART = "removed_from_cart"
    PURCHASED = "purchased"
    ITEM_FAVOURITED = "item_favourited"
    SEARCHED = "searched"
    RATED = "rated"
    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    ITEM_LISTED = "item_listed"
    ITEM_UPDATED = "item_updated"
    ITEM_DELISTED = "item_delisted"


INTERACTION_TYPES = frozenset(
    {
        EventType.ITEM_VIEWED,
        EventType.ADDED_TO_CART,
        EventType.REMOVED_FROM_CART,
        EventType.PURCHASED,
        EventType.ITEM_FAVOURITED,
        EventType.RATED,
    }
)
CATALOGUE_TYPES = frozenset({EventType.ITEM_LISTED, EventType.ITEM_UPDATED, EventType.ITEM_DELISTED})


def new_event_id() -> str:
    return uuid.uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Context:
    """Where and on what an event happened; every field is optional."""

    store_id: str | None = None
    location: str | None = None
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("store_id", "location", "device"):
            _check_optional_id(f"context.{name}", getattr(self, name))


NO_CONTEXT = Context()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Fields every event carries. Subclasses add what their type needs."""

    type: ClassVar[EventType]
    needs_item: ClassVar[bool] = True
    needs_user: ClassVar[bool] = True

    occurred_at: datetime = field(default_factory=utc_now)
    user_id: str | None = None
    session_id: str | None = None
    item_id: str | None = None
    context: Context = NO_CONTEXT
    event_id: str = field(default_factory=new_event_id)

    def __post_init__(self) -> None:
        _check_id("event_id", self.event_id)
        object.__setattr__(self, "occurred_at", _check_time(self.occurred_at))
        if self.needs_user:
            _check_id("user_id", self.user_id)
        else:
            _check_optional_id("user_id", self.user_id)
        if self.needs_item:
            _check_id("item_id", self.item_id)
        elif self.item_id is not None:
            raise EventError("item_id", f"{self.type} events have no item")
        _check_optional_id("session_id", self.session_id)
        if not isinstance(self.context, Context):
            raise EventError("context", "must be a Context")

    def payload(self) -> dict[str, Any]:
        """The type-specific fields, as plain JSON-ready values."""
        common = {f.name for f in fields(Event)}
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in common}


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemViewed(Event):
    type = EventType.ITEM_VIEWED
    category: str | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        _check_optional_text("category", self.category, MAX_ID_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddedToCart(Event):
    type = EventType.ADDED_TO_CART
    quantity: int = 1
    category: str | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        object.__setattr__(self, "quantity", _check_quantity(self.quantity))
        _check_optional_text("category", self.category, MAX_ID_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemovedFromCart(Event):
    type = EventType.REMOVED_FROM_CART
    quantity: int = 1

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        object.__setattr__(self, "quantity", _check_quantity(self.quantity))


@dataclass(frozen=True, slots=True, kw_only=True)
class Purchased(Event):
    type = EventType.PURCHASED
    quantity: int = 1
    price_paid: float | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        object.__setattr__(self, "quantity", _check_quantity(self.quantity))
        object.__setattr__(self, "price_paid", _check_optional_price("price_paid", self.price_paid))
        _check_optional_text("category", self.category, MAX_ID_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemFavourited(Event):
    type = EventType.ITEM_FAVOURITED
    category: str | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        _check_optional_text("category", self.category, MAX_ID_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rated(Event):
    type = EventType.RATED
    value: float | None = None  # required: a rating without its value is no rating of 0

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        if self.value is None:
            raise EventError("value", "a rating needs its value")
        value = _real("value", self.value)
        if not math.isfinite(value):
            raise EventError("value", "must be a finite number")
        if not -1e6 <= value <= 1e6:
            raise EventError("value", "must be between -1,000,000 and 1,000,000")
        object.__setattr__(self, "value", value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Searched(Event):
    type = EventType.SEARCHED
    needs_item = False
    query: str = ""

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        _check_text("query", self.query, MAX_TEXT_LENGTH)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(Event):
    type = EventType.SESSION_STARTED
    needs_item = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded(Event):
    type = EventType.SESSION_ENDED
    needs_item = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemListed(Event):
    """A new item in the catalogue, or a full re-listing of an existing one."""

    type = EventType.ITEM_LISTED
    needs_user = False
    title: str = ""
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    stock: int | None = None
    description: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    # When the stock was counted, in microseconds UTC, where that is not when the item was
    # listed: a catalogue file's rows, which have no time, state the stock the file was written
    # with. Purchases since lower it (`domain.stock.stock_stated_at`).
    stock_at: int | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        _check_text("title", self.title, MAX_TEXT_LENGTH, allow_empty=True)
        _check_optional_text("category", self.category, MAX_TEXT_LENGTH)
        _check_optional_text("brand", self.brand, MAX_TEXT_LENGTH)
        object.__setattr__(self, "price", _check_optional_price("price", self.price))
        object.__setattr__(self, "stock", _check_optional_stock(self.stock))
        object.__setattr__(self, "stock_at", _check_optional_stock_at(self.stock_at))
        _check_optional_text("description", self.description, MAX_TEXT_LENGTH)
        object.__setattr__(self, "attributes", _check_attributes(self.attributes))


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemUpdated(Event):
    """A change to some fields of a listed item; None means unchanged."""

    type = EventType.ITEM_UPDATED
    needs_user = False
    title: str | None = None
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    stock: int | None = None
    description: str | None = None
    attributes: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        _check_optional_text("title", self.title, MAX_TEXT_LENGTH)
        _check_optional_text("category", self.category, MAX_TEXT_LENGTH)
        _check_optional_text("brand", self.brand, MAX_TEXT_LENGTH)
        object.__setattr__(self, "price", _check_optional_price("price", self.price))
        object.__setattr__(self, "stock", _check_optional_stock(self.stock))
        _check_optional_text("description", self.description, MAX_TEXT_LENGTH)
        if self.attributes is not None:
            object.__setattr__(self, "attributes", _check_attributes(self.attributes))


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemDelisted(Event):
    type = EventType.ITEM_DELISTED
    needs_user = False


EVENT_CLASSES: Mapping[EventType, type[Event]] = MappingProxyType(
    {
        cls.type: cls
        for cls in (
            ItemViewed,
            AddedToCart,
            RemovedFromCart,
            Purchased,
            ItemFavourited,
            Rated,
            Searched,
            SessionStarted,
            SessionEnded,
            ItemListed,
            ItemUpdated,
            ItemDelisted,
        )
    }
)


def event_from_fields(event_type: str, common: Mapping[str, Any], payload: Mapping[str, Any]) -> Event:
    """Builds the typed event named by `event_type`; raises EventError on anything invalid."""
    try:
        cls = EVENT_CLASSES[EventType(event_type)]
    except ValueError:
        raise EventError("type", f"unknown event type {event_type!r}") from None
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise EventError(unknown[0], f"not a field of {event_type}")
    try:
        return cls(**common, **payload)
    except TypeError as exc:  # a wrong or missing keyword argument
        raise EventError("type", str(exc)) from None
