"""Purchases lower the stock the catalogue stated, wherever the stock is held, as a rebuild does."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.cli import main
from edgerec.domain import Event, ItemListed, ItemUpdated, ItemViewed, Purchased
from edgerec.ingest import export_events, import_file
from edgerec.recommend import Recommender
from edgerec.store.schema import items, quarantine
from tests.projections.test_rebuild_equals_incremental import snapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _stock(store: Store) -> dict[str, int | None]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(items.c.item_id, items.c.stock)).all())  # type: ignore[arg-type]


def _shop(store: Store) -> None:
    store.record_many(
        [
            ItemListed(item_id="last", title="Last mug", category="Mugs", stock=1, occurred_at=at(0)),
            ItemListed(item_id="five", title="Five cups", category="Mugs", stock=5, occurred_at=at(0)),
            ItemListed(item_id="many", title="Many plates", category="Mugs", stock=9, occurred_at=at(0)),
        ]
    )
    store.record_many(
        [ItemViewed(user_id="v", item_id=i, occurred_at=at(1)) for i in ("last", "five", "many")]
    )


def _listed(rec: Recommender) -> list[str]:
    return [s.item_id for s in rec.recommend("someone", k=5, now=at(30))]


def test_the_last_unit_sold_is_hidden_at_once_after_a_fresh_open_and_after_a_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with edgerec.open(path) as store:
        _shop(store)
        rec = Recommender(store)
        assert "last" in _listed(rec)
        sale: Event = Purchased(user_id="c1", item_id="last", occurred_at=at(5))
        rec.observe(sale, store.record(sale))
        assert "last" not in _listed(rec)  # the recommender that recorded the sale
        assert _stock(store)["last"] == 0  # the catalogue projection (the Catalogue screen's)
    with edgerec.open(path) as store:
        assert "last" not in _listed(Recommender(store))
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before
        assert "last" not in _listed(Recommender(store))


def test_a_partial_purchase_lowers_the_stock_and_a_later_statement_sets_it_again(tmp_path: Path) -> None:
    with edgerec.open(tmp_path / "shop.db") as store:
        _shop(store)
        rec = Recommender(store)
        for event in (
            Purchased(user_id="c1", item_id="five", quantity=3, occurred_at=at(5)),
            Purchased(user_id="c2", item_id="many", quantity=20, occurred_at=at(6)),  # never below zero
        ):
            rec.observe(event, store.record(event))
        assert _stock(store) == {"last": 1, "five": 2, "many": 0}
        for event in (
            ItemUpdated(item_id="many", stock=4, occurred_at=at(10)),
            Purchased(user_id="c3", item_id="many", occurred_at=at(9)),  # before the new count
            Purchased(user_id="c3", item_id="many", occurred_at=at(11)),
        ):
            rec.observe(event, store.record(event))
        assert _stock(store) == {"last": 1, "five": 2, "many": 3}
        assert "many" in _listed(rec)
        live = {i: int(rec.catalogue.stock[rec.catalogue.index[i]]) for i in ("last", "five", "many")}
        assert live == _stock(store)
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before


def test_an_unknown_stock_or_an_unlisted_item_is_left_as_it_is(tmp_path: Path) -> None:
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record_many(
            [
                ItemListed(item_id="open", title="Open count", occurred_at=at(0)),
                ItemViewed(user_id="v", item_id="seen", occurred_at=at(1)),
                ItemUpdated(item_id="seen", stock=2, occurred_at=at(2)),  # not listed by it
                Purchased(user_id="c", item_id="open", occurred_at=at(3)),
                Purchased(user_id="c", item_id="seen", occurred_at=at(3)),
                Purchased(user_id="c", item_id="never", occurred_at=at(3)),
            ]
        )
        assert _stock(store) == {"open": None, "seen": 2, "never": None}


def test_history_imported_after_the_catalogue_file_does_not_lower_its_stock(tmp_path: Path) -> None:
    """A catalogue file's stock already counts the sales of the history exported with it; the
    history is imported after it, in either order, and the stock stays as the file says."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("item_id,title,stock\nlast,Last mug,1\nfive,Five cups,5\n")
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "user_id,item_id,type,timestamp\nc1,last,purchase,1714554000\nc2,five,purchase,1714554060\n"
    )
    for order in ((catalogue, sales), (sales, catalogue)):
        with edgerec.open(tmp_path / f"{order[0].stem}-first.db") as store:
            for source in order:
                import_file(store, source)
            assert len(list(store.read(types="purchased"))) == 2
            assert _stock(store) == {"last": 1, "five": 5}
            assert "last" in _listed(Recommender(store))
            before = snapshot(store)
            store.rebuild()
            assert snapshot(store) == before


def test_purchases_older_than_the_stock_statement_do_not_lower_it(tmp_path: Path) -> None:
    """A count made at noon already counts the morning's sales, whenever they are recorded."""
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record(ItemListed(item_id="mug", title="Mug", stock=4, occurred_at=at(60)))
        rec = Recommender(store)
        for minutes in (10, 59, 60):
            sale = Purchased(user_id="c", item_id="mug", occurred_at=at(minutes))
            rec.observe(sale, store.record(sale))
        assert _stock(store) == {"mug": 3}  # only the sale at the time of the count
        assert int(rec.catalogue.stock[rec.catalogue.index["mug"]]) == 3


def test_a_price_list_imported_over_a_stock_stated_with_a_time_leaves_sales_lowering_it(
    tmp_path: Path,
) -> None:
    """A price list has no stock column, so its rows keep each item's stock; but they relisted
    the item with no time, and from then on its sales lowered nothing: the last unit sold stayed
    in stock, and suggested. A file's row that restates the stock held leaves its time; one that
    states another stock still sets it, and sales after it lower nothing."""
    prices = tmp_path / "prices.csv"
    prices.write_text("id,title,price\nmug,Mug,4.50\ncup,Cup,2.00\n")
    counted = tmp_path / "counted.csv"
    counted.write_text("id,title,price,stock\ncup,Cup,2.00,9\n")
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record_many(
            [
                ItemListed(item_id="mug", title="Mug", price=5.0, stock=2, occurred_at=at(0)),
                ItemListed(item_id="cup", title="Cup", price=2.0, stock=9, occurred_at=at(0)),
                ItemViewed(user_id="v", item_id="mug", occurred_at=at(1)),
            ]
        )
        rec = Recommender(store)
        sale: Event = Purchased(user_id="c1", item_id="mug", occurred_at=at(5))
        rec.observe(sale, store.record(sale))
        assert import_file(store, prices).appended == 1  # the mug repriced; the recommender catches up
        for event in (
            Purchased(user_id="c2", item_id="mug", occurred_at=at(10)),  # the last unit
            Purchased(user_id="c2", item_id="cup", occurred_at=at(10)),
        ):
            rec.observe(event, store.record(event))
        assert _stock(store) == {"mug": 0, "cup": 8}
        assert "mug" not in _listed(rec)
        assert "mug" not in _listed(Recommender(store))
        import_file(store, counted)  # a count of 9 where 8 are held: the file's, not lowered
        sale = Purchased(user_id="c3", item_id="cup", occurred_at=at(20))
        rec.observe(sale, store.record(sale))
        assert _stock(store) == {"mug": 0, "cup": 9}
        live = {i: int(rec.catalogue.stock[rec.catalogue.index[i]]) for i in ("mug", "cup")}
        assert live == _stock(store)
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before


def _catalogue_file(tmp_path: Path, written: datetime) -> Path:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("item_id,title,category,stock\nlast,Last mug,Mugs,1\nfive,Five cups,Mugs,5\n")
    os.utime(catalogue, (written.timestamp(), written.timestamp()))
    return catalogue


def test_a_sale_after_a_catalogue_file_was_written_lowers_the_stock_it_stated(tmp_path: Path) -> None:
    """The kiosk's set-up: the shop's catalogue.csv imported, then its last unit sold."""
    catalogue = _catalogue_file(tmp_path, at(0))
    path = tmp_path / "shop.db"
    with edgerec.open(path) as store:
        import_file(store, catalogue)
        store.record(ItemViewed(user_id="v", item_id="five", occurred_at=at(1)))
        rec = Recommender(store)
        assert "last" in _listed(rec)
        for event in (
            Purchased(user_id="c1", item_id="last", occurred_at=at(5)),
            Purchased(user_id="c2", item_id="five", quantity=2, occurred_at=at(6)),
        ):
            rec.observe(event, store.record(event))
        assert "last" not in _listed(rec)  # the recommender that recorded the sale
        assert _stock(store) == {"last": 0, "five": 3}
        assert import_file(store, catalogue).appended == 0  # the same count again: the sales stand
        assert _stock(store) == {"last": 0, "five": 3}
        restocked = _catalogue_file(tmp_path, at(7))  # a new export, counted since: 1 and 5
        assert import_file(store, restocked).appended == 2
        assert _stock(store) == {"last": 1, "five": 5}
        sale = Purchased(user_id="c3", item_id="last", occurred_at=at(8))
        rec.observe(sale, store.record(sale))
        assert "last" not in _listed(rec)
        export_events(store, tmp_path / "backup.jsonl", real_ids=True)
    with edgerec.open(path) as store:
        assert _stock(store) == {"last": 0, "five": 5}
        assert "last" not in _listed(Recommender(store))
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before
    with edgerec.open(tmp_path / "restored.db") as store:
        import_file(store, tmp_path / "backup.jsonl")
        assert _stock(store) == {"last": 0, "five": 5}


def test_a_catalogue_file_counted_before_the_store_s_count_leaves_it(tmp_path: Path) -> None:
    """The shop's catalogue imported on a schedule, or an older export after a count on the
    console: the file's stock would put back units sold since, or undo the newer count."""
    catalogue = _catalogue_file(tmp_path, at(0))
    with edgerec.open(tmp_path / "shop.db") as store:
        import_file(store, catalogue)
        store.record(Purchased(user_id="c1", item_id="last", occurred_at=at(5)))
        store.record(ItemUpdated(item_id="five", stock=9, occurred_at=at(6)))
        assert import_file(store, catalogue).appended == 0
        assert _stock(store) == {"last": 0, "five": 9}
        assert "last" not in _listed(Recommender(store))
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before


def test_history_older_than_the_catalogue_file_imported_after_it_does_not_lower_its_stock(
    tmp_path: Path,
) -> None:
    catalogue = _catalogue_file(tmp_path, at(60))
    sales = tmp_path / "sales.csv"
    before, after = int(at(30).timestamp()), int(at(90).timestamp())
    sales.write_text(
        f"user_id,item_id,type,timestamp\nc1,last,purchase,{before}\nc2,five,purchase,{before}\n"
        f"c3,five,purchase,{after}\n"
    )
    with edgerec.open(tmp_path / "shop.db") as store:
        import_file(store, catalogue)
        import_file(store, sales)
        assert _stock(store) == {"last": 1, "five": 4}  # only the sale after the file was written
        assert "last" in _listed(Recommender(store))


def test_stock_at_says_when_the_catalogue_file_counted_its_stock(tmp_path: Path) -> None:
    catalogue = _catalogue_file(tmp_path, at(0))
    db = tmp_path / "shop.db"
    counted = "2026-03-02T10:00:00+00:00"  # at(60)
    result = CliRunner().invoke(main, ["--db", str(db), "import", str(catalogue), "--stock-at", counted])
    assert result.exit_code == 0, result.output
    with edgerec.open(db) as store:
        store.record_many(
            [
                Purchased(user_id="c1", item_id="last", occurred_at=at(30)),  # before the count
                Purchased(user_id="c2", item_id="five", occurred_at=at(61)),
            ]
        )
        assert _stock(store) == {"last": 1, "five": 4}
    refused = CliRunner().invoke(main, ["--db", str(db), "import", str(catalogue), "--stock-at", "soon"])
    assert refused.exit_code == 2 and "neither an ISO 8601 time" in refused.output


def test_a_catalogue_files_own_column_says_when_each_rows_stock_was_counted(tmp_path: Path) -> None:
    """A catalogue's stock_counted_at column was not read: every row's stock was counted when the
    file was written, so a sale after a row's own count but before the file's export lowered
    nothing, and one before it lowered the stock twice over. Each row's count now has its own
    time; a blank cell takes the file's, and a cell that is no time is quarantined."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "item_id,title,category,stock,stock_counted_at\n"
        "last,Last mug,Mugs,1,2026-03-02T10:00:00Z\n"  # at(60)
        "five,Five cups,Mugs,5,2026-03-02 09:00\n"  # at(0)
        "many,Many plates,Mugs,9,\n"  # the file's time
        "odd,Odd bowl,Mugs,2,after lunch\n"
    )
    os.utime(catalogue, (at(120).timestamp(), at(120).timestamp()))
    with edgerec.open(tmp_path / "shop.db") as store:
        report = import_file(store, catalogue)
        assert report.quarantined_by_reason == {"invalid_stock_at": 1}
        assert import_file(store, catalogue).appended == 0
        store.record_many(
            [
                Purchased(user_id="c1", item_id="last", occurred_at=at(30)),  # before its count
                Purchased(user_id="c2", item_id="five", occurred_at=at(30)),  # after its count
                Purchased(user_id="c3", item_id="many", occurred_at=at(90)),  # before the file's
            ]
        )
        assert _stock(store) == {"last": 1, "five": 4, "many": 9}
        with store.engine.connect() as connection:
            (reason,) = connection.execute(select(quarantine.c.reason, quarantine.c.detail)).all()
        assert reason[0] == "invalid_stock_at" and "'after lunch' is not a time" in reason[1]
    counted = tmp_path / "counted.csv"  # a column of another name, mapped
    counted.write_text("item_id,title,stock,gezaehlt\nlast,Last mug,1,2026-03-02T10:00:00Z\n")
    with edgerec.open(tmp_path / "mapped.db") as store:
        import_file(store, counted, mapping={"stock_at": "gezaehlt"})
        store.record(Purchased(user_id="c1", item_id="last", occurred_at=at(61)))
        assert _stock(store) == {"last": 0}


@pytest.mark.parametrize("per_second", [1, 1000], ids=["seconds", "milliseconds"])
def test_a_catalogue_files_stock_at_in_epoch_numbers_is_a_time(tmp_path: Path, per_second: int) -> None:
    """A JSON catalogue writes when each row's stock was counted as an epoch number (seconds, or
    milliseconds): the cell was quarantined as invalid_stock_at, "not a time". It is read as the
    events' timestamp column reads a number, its unit by its size; one before 1990 or ahead of
    the clock is still quarantined."""

    def epoch(when: datetime) -> int:
        return int(when.timestamp()) * per_second

    catalogue = tmp_path / "catalogue.jsonl"
    rows = [
        {"item_id": "last", "title": "Last mug", "stock": 1, "stock_at": epoch(at(60))},
        {"item_id": "five", "title": "Five cups", "stock": 5, "stock_at": epoch(at(0))},
        {
            "item_id": "old",
            "title": "Old bowl",
            "stock": 2,
            "stock_at": epoch(datetime(1989, 12, 31, tzinfo=UTC)),
        },
        {
            "item_id": "ahead",
            "title": "Ahead jug",
            "stock": 3,
            "stock_at": epoch(datetime.now(UTC) + timedelta(days=9)),
        },
    ]
    catalogue.write_text("".join(json.dumps(row) + "\n" for row in rows))
    os.utime(catalogue, (at(120).timestamp(), at(120).timestamp()))
    with edgerec.open(tmp_path / "shop.db") as store:
        report = import_file(store, catalogue, format="catalogue")
        assert report.quarantined_by_reason == {"invalid_stock_at": 2}
        store.record_many(
            [
                Purchased(user_id="c1", item_id="last", occurred_at=at(30)),  # before its count
                Purchased(user_id="c2", item_id="five", occurred_at=at(30)),  # after its count
            ]
        )
        assert _stock(store) == {"last": 1, "five": 4}


def test_the_same_catalogue_file_imported_twice_appends_nothing_the_second_time(tmp_path: Path) -> None:
    catalogue = _catalogue_file(tmp_path, at(0))
    with edgerec.open(tmp_path / "shop.db") as store:
        assert import_file(store, catalogue).appended == 2
        assert import_file(store, catalogue).appended == 0
        os.utime(catalogue, (at(20).timestamp(), at(20).timestamp()))  # written again, the same
        assert import_file(store, catalogue).appended == 0
        store.record(Purchased(user_id="c", item_id="five", occurred_at=at(30)))
        assert _stock(store) == {"last": 1, "five": 4}


def test_a_price_list_without_stock_keeps_when_the_stock_was_counted(tmp_path: Path) -> None:
    catalogue = _catalogue_file(tmp_path, at(0))
    prices = tmp_path / "prices.csv"
    prices.write_text("item_id,title,price\nlast,Last mug,4.5\n")
    os.utime(prices, (at(120).timestamp(), at(120).timestamp()))
    with edgerec.open(tmp_path / "shop.db") as store:
        import_file(store, catalogue)
        import_file(store, prices)
        store.record(Purchased(user_id="c", item_id="last", occurred_at=at(60)))
        assert _stock(store)["last"] == 0


def test_a_catalogue_imported_before_files_gave_a_stock_time_gets_one_when_imported_again(
    tmp_path: Path,
) -> None:
    """A shop whose catalogue.csv was imported by an earlier edgerec (its listings give no time
    for their stock) imported the unchanged file again: nothing was appended, so the stock still
    had no time and the last unit sold stayed in stock. The listings are logged again with the
    file's time, once."""
    catalogue = _catalogue_file(tmp_path, at(0))
    with edgerec.open(tmp_path / "shop.db") as store:
        earlier = datetime(1990, 1, 1, tzinfo=UTC)  # a catalogue file's rows' date
        store.record_many(
            [
                ItemListed(item_id="last", title="Last mug", category="Mugs", stock=1, occurred_at=earlier),
                ItemListed(item_id="five", title="Five cups", category="Mugs", stock=5, occurred_at=earlier),
            ]
        )
        assert import_file(store, catalogue).appended == 2
        assert import_file(store, catalogue).appended == 0
        store.record(Purchased(user_id="c1", item_id="last", occurred_at=at(5)))
        assert _stock(store) == {"last": 0, "five": 5}
        before = snapshot(store)
        store.rebuild()
        assert snapshot(store) == before
