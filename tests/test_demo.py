"""The built-in demo shop: deterministic, skewed like a real shop, seeded once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from edgerec.api import Store
from edgerec.cli import main
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
    assert seed_demo_store(store, size=SMALL, now=NOW) == 0  # it counted the events it found again
    assert store.head() == count
    assert store.stats()["projections"]["cooccurrence"] > 0


def test_the_demo_command_says_when_the_demo_is_there_already(tmp_path: Path) -> None:
    db = str(tmp_path / "shop.db")
    first = CliRunner().invoke(main, ["--db", db, "demo"])
    assert first.exit_code == 0 and first.output.startswith("Recorded ")
    again = CliRunner().invoke(main, ["--db", db, "demo"])
    assert again.exit_code == 0, again.output
    assert again.output == "The demo shop of seed 7 is in the store already: 0 new events recorded.\n"
