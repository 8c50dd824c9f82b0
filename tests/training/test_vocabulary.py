"""The vocabulary's token table: token_csr must match each item's own tokens however items grow
and change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from edgerec.api import Store
from edgerec.domain import Rated
from edgerec.store.codec import StoredEvent
from edgerec.training.vocabulary import Vocabulary, content_tokens


def _expected(vocabulary: Vocabulary, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each item's tokens computed afresh from its content (none for an item never described)."""
    buckets = vocabulary.token_buckets
    arrays = [
        content_tokens(content, buckets) if (content := vocabulary.item_content[i]) else np.zeros(0, np.int64)
        for i in items
    ]
    lengths = np.array([len(a) for a in arrays], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(arrays) else lengths
    flat = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
    return flat, offsets


@pytest.mark.parametrize("seed", range(5))
def test_token_csr_follows_new_and_redescribed_items(seed: int) -> None:
    rng = np.random.default_rng(seed)
    vocabulary = Vocabulary(context_items=4, token_buckets=1_000)
    for step in range(200):
        for _ in range(rng.integers(0, 20)):
            vocabulary.item(f"item{rng.integers(0, 400)}")
        if vocabulary.item_ids:
            for _ in range(rng.integers(0, 6)):  # an item listed or updated: its tokens change
                item = int(rng.integers(0, len(vocabulary.item_ids)))
                content = {"category": f"c{rng.integers(0, 40)}", "brand": f"b{rng.integers(0, 9)}"}
                vocabulary._describe(item, content)
        count = len(vocabulary.item_ids)
        items = rng.integers(0, count, rng.integers(0, 50)) if count else np.zeros(0, np.int64)
        flat, offsets = vocabulary.token_csr(items)
        want_flat, want_offsets = _expected(vocabulary, items)
        assert np.array_equal(flat, want_flat), step
        assert np.array_equal(offsets, want_offsets), step


def test_set_tokens_replaces_every_item() -> None:
    vocabulary = Vocabulary(context_items=4, token_buckets=1_000)
    for name in ("a", "b", "c"):
        vocabulary._describe(vocabulary.item(name), {"category": name})
    vocabulary.token_csr(np.arange(3))  # the table is built
    vocabulary.set_tokens(np.array([7, 8, 9], np.int64), np.array([0, 2, 2], np.int64))
    flat, offsets = vocabulary.token_csr(np.array([2, 0, 1]))
    assert flat.tolist() == [9, 7, 8]
    assert offsets.tolist() == [0, 1, 3]


def test_token_csr_after_the_table_compacts() -> None:
    """Re-describing one item over and over leaves most of the table unused until it compacts."""
    vocabulary = Vocabulary(context_items=4, token_buckets=1_000)
    for name in ("a", "b", "c", "d"):
        vocabulary._describe(vocabulary.item(name), {"category": name, "brand": f"brand-{name}"})
    everything = np.arange(4)
    for round_ in range(40):
        vocabulary._describe(0, {"category": f"c{round_}", "brand": f"b{round_}"})
        flat, offsets = vocabulary.token_csr(everything)
        want_flat, want_offsets = _expected(vocabulary, everything)
        assert np.array_equal(flat, want_flat), round_
        assert np.array_equal(offsets, want_offsets), round_
    assert vocabulary._tokens.unused <= len(vocabulary._tokens.flat) // 2  # it compacted


def _rated(position: int, user_id: str, item_id: str, value: float) -> StoredEvent:
    return StoredEvent(
        position,
        f"e{position}",
        "rated",
        position,
        user_id,
        None,
        item_id,
        None,
        None,
        None,
        {"value": value},
    )


def test_a_rating_weighs_by_its_place_on_the_scale_and_a_low_one_teaches_nothing() -> None:
    """A rating of 1 out of 5 taught the trainer as much as a 5: the customer's vector moved
    towards the film they disliked."""
    vocabulary = Vocabulary(context_items=4, token_buckets=1_000)
    examples = vocabulary.examples(
        [_rated(1, "bob", "a", 5.0), _rated(2, "ana", "b", 1.0), _rated(3, "ana", "c", 4.0)]
    )
    rated = vocabulary.weights["rated"]
    assert [vocabulary.item_ids[i] for i in examples.items] == ["a", "c"]  # the 1 is no example
    assert examples.weights.tolist() == [2 * rated, 1.5 * rated]
    assert vocabulary.context_of("ana") == [vocabulary.item_index["c"]]  # nor in her recent items


def test_a_customers_recent_items_follow_time_not_log_order(tmp_path: Path) -> None:
    """A file imported customer by customer, each one's films by id (MovieLens' ratings.csv):
    the trainer took the films with the next-lower ids for what the customer watched just
    before, and learnt, and measured its streaming hit rate on, sequences no customer had."""
    watched = {"d": 1, "a": 2, "c": 3, "b": 4}  # film -> day watched
    start = datetime(2018, 5, 2, tzinfo=UTC)
    with Store(tmp_path / "shop.db", synchronous="OFF") as store:
        store.record_many(
            Rated(user_id="ana", item_id=film, value=4.0, occurred_at=start + timedelta(days=watched[film]))
            for film in sorted(watched)
        )
        logged = store.read()
    assert [event.item_id for event in logged] == ["a", "b", "c", "d"]
    vocabulary = Vocabulary(context_items=4, token_buckets=1_000)
    examples = vocabulary.examples(logged)
    names = vocabulary.item_ids
    assert [names[i] for i in examples.items] == ["d", "a", "c", "b"]
    assert [[names[i] for i in row if i >= 0] for row in examples.context] == [
        [],
        ["d"],
        ["a", "d"],
        ["c", "a", "d"],
    ]
    assert examples.positions.tolist() == [4, 1, 3, 2]
    assert [names[i] for i in vocabulary.context_of("ana")] == ["b", "c", "a", "d"]
