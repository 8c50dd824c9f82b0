"""Helpers for the recommender tests: a small shop with sessions that pair items predictably."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edgerec.api import Store
from edgerec.domain import Context, Event, ItemListed, ItemViewed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def catalogue_events(n: int = 40) -> list[Event]:
    """Items i0..i{n-1}: five categories, seven brands, all in stock."""
    return [
        ItemListed(
            item_id=f"i{i}",
            title=f"Thing {i}",
            category=f"cat{i % 5}",
            brand=f"brand{i % 7}",
            price=10.0 + i,
            stock=5,
            occurred_at=T0,
        )
        for i in range(n)
    ]


def paired_sessions(pairs: list[tuple[str, str]], repeat: int = 3) -> list[Event]:
    """Other shoppers' sessions in which each pair was viewed together `repeat` times."""
    events: list[Event] = []
    minute = 1.0
    for n, (a, b) in enumerate(pairs * repeat):
        user = f"other{n}"
        events.append(
            ItemViewed(user_id=user, item_id=a, occurred_at=at(minute), context=Context(store_id="kiosk-a"))
        )
        events.append(
            ItemViewed(
                user_id=user, item_id=b, occurred_at=at(minute + 0.5), context=Context(store_id="kiosk-a")
            )
        )
        minute += 1
    return events


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Store]:
    """A real SQLite store (fsync off to keep tests quick) with a catalogue and some history."""
    with Store(tmp_path / "shop.db", synchronous="OFF") as store:
        store.record_many(catalogue_events())
        store.record_many(paired_sessions([("i1", "i2"), ("i1", "i3"), ("i4", "i5")]))
        yield store
