"""The built-in demo shop: deterministic, skewed like a real shop, seeded once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.demo import DemoSize, demo_events, seed_demo_store
from edgerec.domain import ItemListed, ItemViewed, Purchased
from edgerec.store.schema import items

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


def test_the_demo_command_asks_before_adding_the_demo_to_a_shops_store(tmp_path: Path) -> None:
    """`demo` on a store holding a shop's data added the demo shop to it unasked and for good:
    the shop's SKU00042 relisted under a demo title and price, its C0001 given a demo history."""
    db = str(tmp_path / "shop.db")
    catalogue, orders = tmp_path / "catalogue.csv", tmp_path / "orders.csv"
    catalogue.write_text("id,title,category,price,stock\nSKU00042,Our best mug,Kitchen/Mugs,12.50,10\n")
    orders.write_text("user_id,item_id,event,timestamp\nC0001,SKU00042,purchase,2026-11-01T10:00:00\n")
    for path in (catalogue, orders):
        assert CliRunner().invoke(main, ["--db", db, "import", str(path)]).exit_code == 0

    def mug() -> str | None:
        with edgerec.open(db) as shop, shop.engine.connect() as connection:
            return connection.execute(select(items.c.title).where(items.c.item_id == "SKU00042")).scalar()

    for answer in ("", "n\n"):  # no terminal to answer, or a no
        refused = CliRunner().invoke(main, ["--db", db, "demo"], input=answer)
        assert refused.exit_code == 1 and "Aborted" in refused.output, refused.output
        assert "holds 2 events already, not the demo shop of seed 7" in refused.stderr
        assert "relisting any item of the store's with one of those ids" in refused.stderr
    with edgerec.open(db) as shop:
        assert shop.head() == 2
    assert mug() == "Our best mug"
    added = CliRunner().invoke(main, ["--db", db, "demo", "--yes"])
    assert added.exit_code == 0 and added.output.startswith("Recorded "), added.output
    assert mug() != "Our best mug"
    again = CliRunner().invoke(main, ["--db", db, "demo"])  # the demo's store now: nothing to ask
    assert again.exit_code == 0 and "0 new events recorded" in again.output, again.output


def test_the_demo_sells_only_units_its_shop_has() -> None:
    """A purchase lowers the stock: the demo's history bought units of items listed with none
    left (71 items past their stock, 128 of 2,000 sold out at the end, where 5 % are drawn
    sold out), and the demo's most popular items opened sold out."""
    listed: dict[str, int] = {}
    sold: Counter[str] = Counter()
    for event in demo_events(seed=7, now=NOW):
        if isinstance(event, ItemListed):
            listed[event.item_id] = event.stock or 0
        elif isinstance(event, Purchased):
            sold[event.item_id] += event.quantity
    assert sold and all(count <= listed[item] for item, count in sold.items())
