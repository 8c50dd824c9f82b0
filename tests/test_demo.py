"""The built-in demo shop: deterministic, skewed like a real shop, seeded once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from edgerec.api import Store
from edgerec.demo import DemoSize, demo_events, seed_demo_store
from edgerec.domain import ItemListed, ItemViewed, Purchased

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
SMALL = DemoSize(items=300, customers=40, sessions=200)


def test_demo_is_deterministic_for_a_seed() -> None:
    assert list(demo_events(seed=3, size=SMALL, now=NOW)) == list(demo_events(seed=3, size=SMALL, now=NOW))
    assert list(demo_events(seed=3, size=SMALL, now=NOW)) != list(demo_events(seed=4, size=SMALL, now=NOW))


def test_demo_has_a_catalogue_and_skewed_popularity() -> None:
    events = list(demo_events(seed=7, size=SMALL, now=NOW))
    listed = [e for e in events if isinstance(e, ItemListed)]
    assert len(listed) == SMALL.items
    assert all(e.category and e.brand and e.price is not None and e.stock is not None for e in listed)
    assert any(e.stock == 0 for e in listed)
    views = Counter(e.item_id for e in events if isinstance(e, ItemViewed))
    top_share = sum(count for _, count in views.most_common(SMALL.items // 10)) / sum(views.values())
    assert top_share > 0.25  # the top 10 % of items draw well over 10 % of the views
    assert any(isinstance(e, Purchased) for e in events)


def test_seeding_twice_records_nothing_new(store: Store) -> None:
    count = seed_demo_store(store, size=SMALL, now=NOW)
    assert store.head() == count
    seed_demo_store(store, size=SMALL, now=NOW)
    assert store.head() == count
    assert store.stats()["projections"]["cooccurrence"] > 0
