"""Events are typed and validated: a bad event names the field and the problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import edgerec
from edgerec.domain import (
    AddedToCart,
    Context,
    EventError,
    ItemListed,
    ItemUpdated,
    ItemViewed,
    Purchased,
    Rated,
    Searched,
    event_from_fields,
)
from edgerec.recommend import Recommender
from edgerec.store.codec import event_to_row, from_micros, to_micros

AT = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("build", "field", "problem"),
    [
        (lambda: ItemViewed(occurred_at=AT, item_id="i"), "user_id", "required"),
        (lambda: ItemViewed(occurred_at=AT, user_id="u"), "item_id", "required"),
        (lambda: ItemViewed(occurred_at=AT, user_id="", item_id="i"), "user_id", "required"),
        (
            lambda: ItemViewed(occurred_at=datetime(2024, 5, 1), user_id="u", item_id="i"),
            "occurred_at",
            "timezone",
        ),
        (
            lambda: ItemViewed(occurred_at=datetime(1970, 1, 2, tzinfo=UTC), user_id="u", item_id="i"),
            "occurred_at",
            "before",
        ),
        (
            lambda: ItemViewed(occurred_at=datetime.now(UTC) + timedelta(days=30), user_id="u", item_id="i"),
            "occurred_at",
            "future",
        ),
        (lambda: ItemViewed(occurred_at=AT, user_id="u" * 300, item_id="i"), "user_id", "longer"),
        (lambda: ItemViewed(occurred_at=AT, user_id="u\x00", item_id="i"), "user_id", "control"),
        (lambda: ItemViewed(occurred_at=AT, user_id="u\ud800", item_id="i"), "user_id", "surrogate"),
        (lambda: AddedToCart(occurred_at=AT, user_id="u", item_id="i", quantity=0), "quantity", "between"),
        (lambda: AddedToCart(occurred_at=AT, user_id="u", item_id="i", quantity=1.5), "quantity", "integer"),
        (
            lambda: Purchased(occurred_at=AT, user_id="u", item_id="i", price_paid=-1.0),
            "price_paid",
            "between 0 and",
        ),
        (
            lambda: Purchased(occurred_at=AT, user_id="u", item_id="i", price_paid=float("nan")),
            "price_paid",
            "finite",
        ),
        (lambda: Rated(occurred_at=AT, user_id="u", item_id="i", value="5"), "value", "number"),
        (lambda: Searched(occurred_at=AT, user_id="u", query=""), "query", "empty"),
        (lambda: Searched(occurred_at=AT, user_id="u", query="tea \ud800"), "query", "surrogate"),
        (
            # A surrogate pair would read back from JSON as the one character it encodes.
            lambda: ItemListed(occurred_at=AT, item_id="i", title="t", attributes={"\ud83d\ude00": ""}),
            "attributes.\ud83d\ude00",
            "surrogate",
        ),
        (lambda: Searched(occurred_at=AT, user_id="u", item_id="i", query="x"), "item_id", "no item"),
        (lambda: ItemListed(occurred_at=AT, item_id="i", title="t", stock=-1), "stock", "between 0 and"),
        (lambda: ItemListed(occurred_at=AT, item_id="i", title="t", stock=10**13), "stock", "between 0 and"),
        (lambda: ItemListed(occurred_at=AT, item_id="i", title="t", price=1e13), "price", "between 0 and"),
        (
            lambda: ItemListed(occurred_at=AT, item_id="i", title="t", attributes={"a": 1}),
            "attributes.a",
            "string",
        ),
        (
            lambda: ItemViewed(occurred_at=AT, user_id="u", item_id="i", context=Context(store_id="")),
            "context.store_id",
            "non-empty",
        ),
        (lambda: ItemViewed(occurred_at=AT, user_id="   ", item_id="i"), "user_id", "only spaces"),
        (lambda: ItemViewed(occurred_at=AT, user_id="u", item_id="a\u00a0b"), "item_id", "U+00A0"),
        (lambda: Rated(occurred_at=AT, user_id="u", item_id="i", value=1e7), "value", "-1,000,000"),
    ],
)
def test_bad_event_names_field_and_problem(build, field: str, problem: str) -> None:
    with pytest.raises(EventError) as caught:
        build()
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{field}:")


def test_times_are_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    event = ItemViewed(occurred_at=datetime(2024, 5, 1, 14, 30, tzinfo=plus_two), user_id="u", item_id="i")
    assert event.occurred_at == AT
    assert event.occurred_at.tzinfo == UTC


def test_events_are_immutable() -> None:
    event = ItemViewed(occurred_at=AT, user_id="u", item_id="i")
    with pytest.raises(AttributeError):
        event.user_id = "other"  # type: ignore[misc]


def test_row_round_trip_keeps_every_field() -> None:
    event = ItemListed(
        occurred_at=AT,
        item_id="sku-1",
        title='Trail shoe =HYPERLINK("x")',
        category="Shoes/Trail",
        brand="Orca",
        price=89.5,
        stock=3,
        description="'; DROP TABLE events; --",
        attributes={"colour": "red"},
        context=Context(store_id="kiosk-1", location="Oslo", device="kiosk"),
    )
    row = event_to_row(event)
    assert row["occurred_at"] == to_micros(AT)
    assert from_micros(row["occurred_at"]) == AT
    rebuilt = event_from_fields(
        row["type"],
        {
            "event_id": row["event_id"],
            "occurred_at": from_micros(row["occurred_at"]),
            "user_id": row["user_id"],
            "session_id": row["session_id"],
            "item_id": row["item_id"],
            "context": Context(row["store_id"], row["location"], row["device"]),
        },
        row["payload"],
    )
    assert rebuilt == event


def test_update_payload_carries_only_changed_fields() -> None:
    row = event_to_row(ItemUpdated(occurred_at=AT, item_id="i", stock=0))
    assert row["payload"] == {"stock": 0}


def test_unknown_type_and_field_are_rejected() -> None:
    common = {"occurred_at": AT, "user_id": "u", "item_id": "i"}
    with pytest.raises(EventError, match="unknown event type"):
        event_from_fields("teleported", common, {})
    with pytest.raises(EventError) as caught:
        event_from_fields("item_viewed", common, {"colour": "red"})
    assert caught.value.field == "colour"


def test_a_decimal_price_is_taken_as_a_plain_number() -> None:
    """Django's DecimalField and SQLAlchemy's Numeric hand out Decimals: a price of
    Decimal('9.99') was refused as 'must be a number'."""
    bought = Purchased(user_id="u", item_id="i", price_paid=Decimal("9.99"))
    listed = ItemListed(item_id="i", title="Mug", price=Decimal("3.50"))
    assert (type(bought.price_paid), bought.price_paid, listed.price) == (float, 9.99, 3.5)
    for bad in (Decimal("NaN"), Decimal("sNaN"), Decimal("-1")):
        with pytest.raises(EventError, match="finite number"):
            Purchased(user_id="u", item_id="i", price_paid=bad)


def test_numbers_from_numpy_and_pandas_are_taken_as_plain_numbers(tmp_path: Path) -> None:
    """A data frame's row gives numpy numbers: they are valid, and stored as Python's own."""
    bought = Purchased(user_id="u", item_id="i", quantity=np.int64(2), price_paid=np.float32(2.5))
    listed = ItemListed(item_id="i", title="Mug", price=np.float64(3.0), stock=np.int64(4))
    rated = Rated(user_id="u", item_id="i", value=np.float64(4.5))
    assert (type(bought.quantity), type(bought.price_paid), bought.price_paid) == (int, float, 2.5)
    assert (type(listed.stock), type(rated.value)) == (int, float)
    with edgerec.open(tmp_path / "s.db") as store:
        store.record_many([listed, bought, rated, ItemListed(item_id="j", title="Cup", stock=1)])
        assert store.read()[1].payload == {"quantity": 2, "price_paid": 2.5}
        recommender = Recommender(store)
        assert len(recommender.recommend("u", k=np.int64(1))) == 1
