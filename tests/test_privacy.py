"""Popularity by distinct customers, exact or with Laplace noise (differential privacy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from edgerec.api import Store
from edgerec.domain import ItemListed, ItemViewed
from edgerec.privacy import popular_items

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_exact_counts_are_distinct_customers(store: Store) -> None:
    store.record_many(
        [ItemViewed(occurred_at=T0, user_id=f"u{n}", item_id="a") for n in range(5)]
        + [ItemViewed(occurred_at=T0, user_id="u0", item_id="a") for _ in range(3)]
        + [ItemViewed(occurred_at=T0, user_id=f"u{n}", item_id="b") for n in range(2)]
    )
    top = popular_items(store, k=2)
    assert [(p.item_id, p.customers) for p in top] == [("a", 5), ("b", 2)]
    assert all(type(p.customers) is int for p in top)  # `popular --json` printed "customers": 5.0


def test_exact_counts_list_only_items_a_customer_touched(store: Store) -> None:
    """The top 3 of a catalogue of five with one item viewed listed two items with 0 customers."""
    store.record_many([ItemListed(occurred_at=T0, item_id=f"sku{n}", title=f"Item {n}") for n in range(5)])
    store.record_many([ItemViewed(occurred_at=T0, user_id="c1", item_id="sku3")])
    assert [(p.item_id, p.customers) for p in popular_items(store, k=3)] == [("sku3", 1)]
    noisy = popular_items(store, k=5, epsilon=1.0, seed=0)
    assert len(noisy) == 5  # noised, the zeros are counted too: their presence is hidden


def test_noise_has_the_promised_scale_and_each_customer_is_capped(store: Store) -> None:
    # One customer touches 30 items; with a cap of 10 they count towards only their latest 10.
    store.record_many(
        [
            ItemViewed(occurred_at=T0 + timedelta(minutes=n), user_id="heavy", item_id=f"i{n:02d}")
            for n in range(30)
        ]
    )
    capped = [
        {
            p.item_id: p.customers
            for p in popular_items(store, k=30, epsilon=1e9, items_per_customer=10, seed=s)
        }
        for s in range(3)
    ]
    assert all(sum(c.values()) == pytest.approx(10, abs=1e-3) for c in capped)
    assert set(k for k, v in capped[0].items() if v > 0.5) == {f"i{n:02d}" for n in range(20, 30)}


def test_noisy_counts_are_unbiased_with_laplace_spread(store: Store) -> None:
    store.record_many([ItemViewed(occurred_at=T0, user_id=f"u{n}", item_id="pop") for n in range(50)])
    # Laplace noise of scale b = items_per_customer / epsilon = 2 has standard deviation 2 * sqrt(2).
    draws = np.array(
        [
            popular_items(store, k=1, epsilon=1.0, items_per_customer=2, seed=s)[0].customers
            for s in range(300)
        ]
    )
    assert draws.mean() == pytest.approx(50, abs=0.6)
    assert draws.std() == pytest.approx(2 * np.sqrt(2), rel=0.2)
    assert np.abs(draws - 50).mean() == pytest.approx(2, rel=0.15)  # the scale, as the docs say


def test_a_count_near_zero_comes_out_too_high(store: Store) -> None:
    """Negative noisy counts show as 0, so an item nobody touched averages half the noise's
    scale (docs/guarantees.md gives the figures; it called 28, the spread, the average error)."""
    store.record_many([ItemViewed(occurred_at=T0, user_id="u", item_id="pop")])
    store.record_many([ItemListed(occurred_at=T0, item_id=f"z{n}", title="Nobody's") for n in range(50)])
    draws = np.array(
        [
            p.customers
            for s in range(20)
            for p in popular_items(store, k=51, epsilon=1.0, items_per_customer=2, seed=s)
            if p.item_id != "pop"
        ]
    )
    assert draws.min() == 0 and draws.mean() == pytest.approx(1, rel=0.15)


def test_epsilon_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="positive"):
        popular_items(store, epsilon=0)


def test_exports_are_pseudonymous_by_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    import edgerec
    from edgerec.ingest import export_events

    def exported(store_name: str, real_ids: bool = False) -> list[dict]:
        with edgerec.open(tmp_path / store_name) as shop:
            if shop.head() == 0:
                shop.record_many(
                    [
                        # An imported event's id is a hash of its content, the customer's id
                        # included: anyone could test guessed ids against it. Here, plainer still.
                        ItemViewed(occurred_at=T0, user_id=u, item_id="a", event_id=f"view-by-{u}")
                        for u in ("alice", "bob")
                    ]
                )
            out = tmp_path / f"{store_name}-{real_ids}-{len(list(tmp_path.iterdir()))}.jsonl"
            export_events(shop, out, real_ids=real_ids)
            return [json.loads(line) for line in out.read_text().splitlines()]

    first, again = exported("one.db"), exported("one.db")
    assert [r["user_id"] for r in first] == [r["user_id"] for r in again]  # stable: exports join
    assert all(r["user_id"].startswith("p-") and r["user_id"] not in {"alice", "bob"} for r in first)
    assert first[0]["user_id"] != first[1]["user_id"]
    assert "alice" not in json.dumps(first)  # nor in the session id or event id derived from them
    assert [r["event_id"] for r in first] == [r["event_id"] for r in again]
    other = exported("two.db")
    assert [r["user_id"] for r in other] != [r["user_id"] for r in first]  # each store has its own key
    backup = exported("one.db", real_ids=True)
    assert [(r["user_id"], r["event_id"]) for r in backup] == [
        ("alice", "view-by-alice"),
        ("bob", "view-by-bob"),
    ]
