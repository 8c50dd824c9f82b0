"""Cleaning and idempotency: double clicks, impossible purchases, re-imports, export round trips."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.domain import AddedToCart, Context, ItemDelisted, ItemListed, ItemViewed, Purchased, Rated
from edgerec.ingest import ColumnMapping, convert, export_events, import_file
from edgerec.ingest.clean import event_id
from edgerec.ingest.errors import FormatError
from edgerec.store.codec import from_micros
from edgerec.store.schema import PROJECTION_TABLES, items, quarantine
from tests.ingest.ingest_helpers import head_of, quarantined, real_file

T = 1_600_000_000


def write_csv(path: Path, rows: list[str], header: str = "user_id,item_id,type,timestamp") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def log_rows(store: Store) -> list[tuple[object, ...]]:
    return [tuple(e)[1:] for e in store.read()]  # everything but the position


def projections(store: Store) -> dict[str, list[dict[str, object]]]:
    with store.engine.connect() as connection:
        return {
            t.name: sorted((dict(r) for r in connection.execute(select(t)).mappings()), key=repr)
            for t in PROJECTION_TABLES
        }


def test_double_clicks_and_exact_duplicates_are_dropped(ingest_store: Store, tmp_path: Path) -> None:
    rows = [
        f"u1,i1,view,{T}",
        f"u1,i1,view,{T}",  # exact duplicate
        f"u1,i1,view,{T + 1}",  # double click, within 2 s
        f"u1,i1,cart,{T + 1}",  # another action: kept
        f"u1,i1,view,{T + 5}",  # outside the window: kept
        f"u2,i1,view,{T + 1}",  # another user: kept
    ]
    report = import_file(ingest_store, write_csv(tmp_path / "clicks.csv", rows), format="csv")
    assert report.quarantined_by_reason == {"duplicate": 1, "repeat_within_window": 1}
    assert report.duplicates_dropped == 2 and report.accepted == 4
    again = edgerec.open(tmp_path / "other.db")
    wide = import_file(again, tmp_path / "clicks.csv", format="csv", dedupe_window_s=0)
    assert wide.quarantined_by_reason == {"duplicate": 1} and wide.accepted == 5
    again.close()


def test_a_repeat_in_another_session_of_the_file_is_a_new_visit(ingest_store: Store, tmp_path: Path) -> None:
    """DIGINETICA's times are the day plus the time into each session: one customer's two
    sessions of a day can overlap. A view in the other session is not a double click."""
    path = tmp_path / "sessions.csv"
    path.write_text(
        "user_id,session_id,item_id,type,timestamp\n"
        f"u1,s1,i1,view,{T}\nu1,s1,i1,view,{T + 1}\nu1,s2,i1,view,{T + 1}\n"
    )
    report = import_file(ingest_store, path, format="csv")
    assert report.quarantined_by_reason == {"repeat_within_window": 1}
    assert [e.session_id for e in ingest_store.read()] == ["s1", "s2"]


def test_two_lines_of_one_item_in_an_order_are_two_sales(ingest_store: Store, tmp_path: Path) -> None:
    """An order with an engraved mug and two plain ones: its second line was dropped as a double
    click, and the log said one mug sold where the order has three. A second buy of the same
    quantity and price within the window is still one."""
    path = tmp_path / "order_lines.csv"
    path.write_text(
        "user_id,item_id,type,timestamp,quantity,price\n"
        f"u1,MUG,purchase,{T},1,24.00\nu1,MUG,purchase,{T},2,12.00\nu1,MUG,purchase,{T + 1},2,12.00\n"
    )
    report = import_file(ingest_store, path, format="csv")
    assert report.quarantined_by_reason == {"repeat_within_window": 1}
    assert [e.payload["quantity"] for e in ingest_store.read()] == [1, 2]


def test_lines_that_differ_only_in_a_column_not_read_are_two_events(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Olist writes two units of one product as two order lines, numbered 1 and 2: with the
    line number not read, the second was dropped as the same event, even with --dedupe-window 0,
    and the log sold one. The same line twice is still one event, and so is a file imported
    again, in chunks of one line."""
    path = tmp_path / "order_items.csv"
    line = "o1,{n},P1,2017-10-06 11:07:15,29.99"
    path.write_text(
        "order_id,order_item_id,product_id,shipping_limit_date,price\n"
        + "\n".join(line.format(n=n) for n in (1, 2, 2, 3))
        + "\n"
    )
    mapping = {"user": "order_id", "item": "product_id", "timestamp": "shipping_limit_date"}
    mapping["default_type"] = "purchased"
    report = import_file(ingest_store, path, mapping=mapping, dedupe_window_s=0)
    assert (report.appended, report.quarantined_by_reason) == (3, {"duplicate": 1})
    again = import_file(ingest_store, path, mapping=mapping, dedupe_window_s=0, chunk_rows=1)
    assert (again.appended, again.already_present) == (0, 3)
    # A file ordered by order, not time: a later order's line in the chunk before the second
    # line dropped the first line's record, and the second was taken for it.
    later = tmp_path / "later.csv"
    later.write_text(
        "order_id,order_item_id,product_id,shipping_limit_date,price\n"
        "o3,1,P3,2017-10-07 12:00:00,7.00\n"
        "o2,1,P2,2017-10-06 09:00:00,5.00\no2,2,P2,2017-10-06 09:00:00,5.00\n"
    )
    with edgerec.open(tmp_path / "chunked.db") as chunked:
        report = import_file(chunked, later, mapping=mapping, dedupe_window_s=0, chunk_rows=2)
        assert report.appended == 3


def test_purchases_dated_by_day_alone_are_no_double_clicks(ingest_store: Store, tmp_path: Path) -> None:
    """H&M's transactions_train.csv dates each sale by its day alone: a customer's second
    purchase of an article at the same price that day (through the other sales channel) was
    quarantined as repeat_within_window, every time being midnight. The same line twice is
    still one sale; a file with times of day still drops a repeat within the window."""
    path = tmp_path / "transactions_train.csv"
    path.write_text(
        "t_dat,customer_id,article_id,price,sales_channel_id\n"
        "2018-09-20,c1,0663713001,0.0508,1\n"
        "2018-09-20,c1,0663713001,0.0508,2\n"
        "2018-09-20,c2,0541518023,0.0305,2\n"
        "2018-09-20,c2,0541518023,0.0305,2\n"
    )
    mapping = {"default_type": "purchased"}
    report = import_file(ingest_store, path, mapping=mapping)
    assert (report.rows_read, report.accepted, report.quarantined) == (4, 3, 1)
    assert report.quarantined_by_reason == {"duplicate": 1}
    assert [e.user_id for e in ingest_store.read()] == ["c1", "c1", "c2"]
    views = write_csv(tmp_path / "views.csv", ["u1,i1,view,2018-09-20", "u1,i1,view,2018-09-20 "])
    assert import_file(ingest_store, views, format="csv").accepted == 2  # views of a day: one visit or two
    timed = tmp_path / "timed.csv"
    timed.write_text(
        "t_dat,customer_id,article_id,price,sales_channel_id\n"
        "2018-09-20 10:00:00,c1,0663713001,0.0508,1\n"
        "2018-09-20 10:00:01,c1,0663713001,0.0508,2\n"
    )
    with edgerec.open(tmp_path / "timed.db") as store:
        report = import_file(store, timed, mapping=mapping)
        assert (report.accepted, report.quarantined_by_reason) == (1, {"repeat_within_window": 1})


@pytest.mark.parametrize(
    ("kind", "repeats"), [(pa.date32(), 0), (pa.date64(), 0), (pa.timestamp("us"), 1), ("dates", 0)]
)
def test_parquet_dates_are_dates_alone_and_midnight_timestamps_are_not(
    ingest_store: Store, tmp_path: Path, kind: pa.DataType | str, repeats: int
) -> None:
    """A Parquet date column (date32, date64, or pandas' column of `date`s, written as date32)
    is read as `date`s, a date alone: a customer's two sales of an article that day are both
    kept. A timestamp column at midnight holds a time of day, and the second is a double click."""
    day = datetime(2018, 9, 20)
    rows = {"customer_id": ["c1", "c1"], "article_id": ["a1", "a1"], "sales_channel_id": [1, 2]}
    path = tmp_path / "transactions.parquet"
    if kind == "dates":
        pd.DataFrame({"t_dat": [day.date()] * 2, **rows}).to_parquet(path)
    else:
        pq.write_table(pa.table({"t_dat": pa.array([day] * 2, kind), **rows}), path)
    report = import_file(ingest_store, path, mapping={"default_type": "purchased"})
    assert (report.accepted, report.quarantined) == (2 - repeats, repeats)


def test_an_events_id_is_the_one_earlier_imports_gave_its_content() -> None:
    # Event ids are stored: a file imported again finds its rows by them, so the text they are
    # hashed from must not change, the store, location and device each in its own place.
    row = {
        "event_id": None,
        "type": "purchased",
        "occurred_at": 1_600_000_000_000_000,
        "user_id": "u1",
        "session_id": None,
        "item_id": "mug",
        "store_id": "s1",
        "location": "Leeds",
        "device": "kiosk-2",
        "payload": {"quantity": 2, "price": 4.5},
    }
    assert event_id(row) == "67dc42af25729e9d2c7ddcd23f532637"
    assert event_id({**row, "store_id": "Leeds", "location": "s1"}) == "9c726379be33e02cde73d408d188d7f9"
    no_context = row | dict.fromkeys(("store_id", "location", "device"))
    assert event_id(no_context) == "63d54827fb41ef55d106909f8859eeeb"


def test_reimport_appends_nothing(ingest_store: Store, tmp_path: Path) -> None:
    path = head_of(
        real_file("taobao-userbehavior", "UserBehavior_head_4k.csv"), tmp_path / "taobao.csv", 1200
    )
    first = import_file(ingest_store, path)
    before = projections(ingest_store)
    second = import_file(ingest_store, path, chunk_rows=250)
    assert first.appended == first.accepted > 1000
    assert second.appended == 0 and second.already_present == second.accepted == first.accepted
    assert second.quarantined_by_reason == first.quarantined_by_reason
    assert projections(ingest_store) == before


def test_same_events_from_another_format_are_already_present(ingest_store: Store, tmp_path: Path) -> None:
    mapping = ColumnMapping(user="who", item="what", type="did", timestamp="when")
    csv_path = write_csv(tmp_path / "a.csv", [f"u1,i1,view,{T}", f"u2,i2,buy,{T + 60}"], "who,what,did,when")
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(r)
            for r in (
                {"who": "u1", "what": "i1", "did": "view", "when": "2020-09-13T12:26:40Z"},
                {"who": "u2", "what": "i2", "did": "purchased", "when": T + 60},
            )
        )
    )
    table = pa.table({"who": ["u1"], "what": ["i1"], "did": ["pv"], "when": [T * 1000]})
    pq.write_table(table, tmp_path / "a.parquet")
    assert import_file(ingest_store, csv_path, mapping=mapping).appended == 2
    assert import_file(ingest_store, jsonl, mapping=mapping).already_present == 2
    assert import_file(ingest_store, tmp_path / "a.parquet", mapping=mapping).already_present == 1
    assert ingest_store.head() == 2


def test_purchase_of_unlisted_or_delisted_item_is_quarantined(ingest_store: Store, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "id,title,category,brand,price,stock\nA,Apple,Fruit,Orchard,1.5,10\nB,Pear,Fruit,,2,0\n"
    )
    assert import_file(ingest_store, catalogue).accepted == 2
    listed = ingest_store.read(types=["item_listed"])
    assert listed[0].payload["price"] == 1.5 and listed[0].payload["stock"] == 10
    ingest_store.record(ItemDelisted(item_id="B"))
    rows = [f"u1,A,buy,{T}", f"u1,B,buy,{T}", f"u1,Z,buy,{T}", f"u1,Z,view,{T}"]
    report = import_file(ingest_store, write_csv(tmp_path / "buys.csv", rows), format="csv")
    assert report.quarantined_by_reason == {"item_delisted": 1, "item_not_listed": 1}
    assert report.accepted == 2  # viewing an unlisted item is possible; buying it is not


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_item_an_unlisted_purchase_names_is_the_same_on_every_backend(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The listed item the quarantine's reason names was whichever row the database read first:
    the same import said 'SKU00143' on PostgreSQL and 'SKU00494' on SQLite, and after updates to
    the catalogue, another each time. It is the first listed id in order."""
    url = request.getfixturevalue("postgres").database() if backend == "postgresql" else tmp_path / "s.db"
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("item_id,title\nSKU9,Socks\nSKU2,Scarf\nSKU5,Hat\n")
    orders = write_csv(tmp_path / "orders.csv", [f"u1,woo-beanie,purchased,{T}"])
    with edgerec.open(url) as store:
        assert import_file(store, catalogue, format="catalogue").accepted == 3
        assert import_file(store, orders).quarantined_by_reason == {"item_not_listed": 1}
        with store.engine.connect() as connection:
            detail = connection.execute(select(quarantine.c.detail)).scalar_one()
    assert "(it lists items such as 'SKU2':" in detail


def test_a_purchase_of_an_unlisted_item_says_the_catalogue_may_name_items_otherwise(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A shop's product export listed by its ID and its orders read by SKU: every purchase was
    quarantined as item_not_listed, the reason giving no hint why. It names an item the
    catalogue lists and the mapping that makes the two agree."""
    catalogue = tmp_path / "wc-product-export.csv"
    catalogue.write_text("ID,Type,SKU,Name,Regular price\n10,simple,woo-beanie,Beanie,20\n")
    assert import_file(ingest_store, catalogue).accepted == 1
    orders = tmp_path / "wc-orders.csv"
    orders.write_text(
        "Order Number,Order Date,Customer User ID,SKU,Quantity\n2001,2026-11-01 10:00,5,woo-beanie,2\n"
    )
    report = import_file(ingest_store, orders, mapping={"user": "Customer User ID"})
    assert report.quarantined_by_reason == {"item_not_listed": 1}
    with ingest_store.engine.connect() as connection:
        detail = connection.execute(select(quarantine.c.detail)).scalar_one()
    assert (
        "purchase of item 'woo-beanie', which the catalogue does not list (it lists items such as '10'"
        in detail
    )
    assert "--map item=COLUMN" in detail
    again = import_file(
        ingest_store, catalogue, mapping={"item": "SKU", "title": "Name", "price": "Regular price"}
    )
    assert again.accepted == 1
    assert import_file(ingest_store, orders, mapping={"user": "Customer User ID"}).appended == 1


def test_purchases_logged_before_the_catalogue_came_are_already_present_on_a_reimport(
    ingest_store: Store, tmp_path: Path
) -> None:
    sales = write_csv(tmp_path / "sales.csv", [f"u1,Z,buy,{T}", f"u1,A,view,{T}"])
    assert import_file(ingest_store, sales, format="csv").appended == 2
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("id,title,category\nA,Apple,Fruit\n")
    import_file(ingest_store, catalogue)
    again = import_file(ingest_store, sales, format="csv")
    assert (again.already_present, again.quarantined) == (2, 0)
    assert quarantined(ingest_store) == 0


def test_source_timezone_is_normalised_to_utc(ingest_store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "local.csv", ["u1,i1,view,2024-07-01 12:00:00", "u1,i2,view,2024-01-01 12:00:00"]
    )
    import_file(ingest_store, path, format="csv", source_timezone="Europe/Berlin")
    summer, winter = ingest_store.read()
    assert summer.occurred_at == 1_719_828_000 * 1_000_000  # 10:00 UTC (CEST, +2)
    assert winter.occurred_at == 1_704_106_800 * 1_000_000  # 11:00 UTC (CET, +1)


def test_a_date_alone_on_a_day_whose_clocks_change_at_midnight_is_its_first_instant(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Cairo's summer time began at midnight on 2024-04-26: a day's sales dated 2024-04-26, with
    no time of day, were quarantined as a local time the clocks skip, though the day exists
    (from 01:00). A time of that day the clocks skip is still refused by name."""
    path = tmp_path / "days.csv"
    path.write_text("user_id,item_id,type,date\nu1,i1,purchase,2024-04-26\nu2,i2,purchase,2024-04-26 00:30\n")
    report = import_file(ingest_store, path, format="csv", source_timezone="Africa/Cairo")
    assert report.quarantined_by_reason == {"ambiguous_local_time": 1}
    (sale,) = ingest_store.read()
    assert from_micros(sale.occurred_at) == datetime(2024, 4, 25, 22, tzinfo=UTC)  # 01:00 EEST


def test_a_local_time_a_clock_change_skips_or_repeats_is_quarantined_by_name(
    ingest_store: Store, tmp_path: Path
) -> None:
    rows = [
        "u1,i1,view,2024-03-31 02:30:00",
        "u1,i2,view,2024-10-27 02:30:00",
        "u1,i3,view,2024-10-27 02:30+01:00",
    ]
    path = write_csv(tmp_path / "dst.csv", rows)
    report = import_file(ingest_store, path, format="csv", source_timezone="Europe/Berlin")
    assert report.quarantined_by_reason == {"ambiguous_local_time": 2}
    with ingest_store.engine.connect() as connection:
        details = connection.execute(select(quarantine.c.detail)).scalars().all()
    assert all("clock change in Europe/Berlin" in detail for detail in details)
    (kept,) = ingest_store.read()
    assert kept.occurred_at == 1_729_992_600 * 1_000_000  # the offset says which 02:30: 01:30 UTC


def test_two_zone_names_in_one_column_are_read_row_by_row(ingest_store: Store, tmp_path: Path) -> None:
    """pandas refuses a column with two zone names ("Mixed timezones detected"): that stopped
    the whole import; each row is now read, or quarantined, on its own."""
    rows = [
        "u1,i1,view,2024-01-10 10:00:00 UTC",
        "u2,i2,view,2024-01-10 11:00:00 CET",
        "u3,i3,view,2024-01-10 11:00:00 CST",  # US Central or China: not read
    ]
    report = import_file(ingest_store, write_csv(tmp_path / "zones.csv", rows), format="csv")
    assert (report.accepted, report.quarantined_by_reason) == (2, {"bad_timestamp": 1})
    times = [from_micros(e.occurred_at).isoformat() for e in ingest_store.read()]
    assert times == ["2024-01-10T10:00:00+00:00"] * 2


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        (
            ["12/1/2010 8:26", "12/13/2010 9:00"],
            ["2010-12-01T08:26", "2010-12-13T09:00"],
        ),  # UCI Online Retail
        (["13/05/2024", "01/05/2024"], ["2024-05-13T00:00", "2024-05-01T00:00"]),  # a day past 12: day first
        (
            ["01.05.2024 09:00", "02.05.2024 10:00"],
            ["2024-05-01T09:00", "2024-05-02T10:00"],
        ),  # dots: day first
        (["Sun Jul 30 07:44:10 -0700 2017"], ["2017-07-30T14:44"]),  # Goodreads
        (["09 13, 2009", "1 May 2024"], ["2009-09-13T00:00", "2024-05-01T00:00"]),  # Amazon reviewTime
        # zone abbreviations, which were refused as no time
        (["Fri Mar 01 10:00:00 PST 2024"], ["2024-03-01T18:00"]),  # Java's Date.toString()
        (
            ["2024-03-01 10:00:00 CET", "2024-07-01 10:00:00 CEST", "2024-03-01 10:00:00 EST"],
            ["2024-03-01T09:00", "2024-07-01T08:00", "2024-03-01T15:00"],
        ),
    ],
)
def test_dates_in_other_layouts_are_read(written: list[str], meant: list[str]) -> None:
    micros, problems = convert.datetime_micros(written)
    assert problems == [None] * len(written)
    assert [from_micros(m).isoformat()[:16] for m in micros] == meant


def test_iso_times_with_two_offsets_are_read_year_month_day_in_a_file_read_day_first(
    ingest_store: Store, tmp_path: Path
) -> None:
    """ISO 8601 times whose offset changes within the column (+02:00, then +01:00 after the
    clocks went back) are read one at a time: in a file read day first (day_first=true, or a
    30/11/2026 elsewhere in the column) 2026-11-02 was read as the 11th of February."""
    rows = ["u1,i1,view,2026-10-24T13:00:00+02:00", "u1,i2,view,2026-11-02T13:00:00+01:00"]
    path = write_csv(tmp_path / "dst.csv", rows)
    import_file(ingest_store, path, format="csv", mapping={"day_first": True})
    mixed = write_csv(tmp_path / "mixed.csv", [*rows, "u2,i3,view,30/11/2026 10:00"])
    import_file(ingest_store, mixed, format="csv")
    times = [
        from_micros(e.occurred_at).isoformat()[:16] for e in ingest_store.read() if e.type == "item_viewed"
    ]
    assert times == ["2026-10-24T11:00", "2026-11-02T12:00", "2026-11-30T10:00"]


def test_a_zone_abbreviation_that_names_several_zones_is_refused_saying_so() -> None:
    _micros, problems = convert.datetime_micros(["2024-03-01 10:00:00 CST"])
    assert problems[0] is not None and "CST names more than one zone, US Central or China" in problems[0][1]


def test_a_layout_in_the_mapping_settles_which_number_is_the_day(ingest_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "uk.csv", ["u1,i1,view,01/05/2024 10:00"])  # month first unless told
    import_file(ingest_store, path, format="csv", mapping={"timestamp_unit": "%d/%m/%Y %H:%M"})
    assert from_micros(ingest_store.read()[0].occurred_at).isoformat() == "2024-05-01T10:00:00+00:00"
    with pytest.raises(ValueError, match="timestamp_unit=minutes"):
        import_file(ingest_store, path, format="csv", mapping={"timestamp_unit": "minutes"})


def test_a_layout_that_no_time_fits_is_refused_not_every_row_quarantined(
    ingest_store: Store, tmp_path: Path
) -> None:
    """timestamp_unit=%d/%m/%Y on times written with the hour: every row was quarantined as
    '03/04/2025 14:05' "is not a time", which it is; the layout given was what did not fit."""
    path = write_csv(tmp_path / "till.csv", ["u1,i1,view,03/04/2025 14:05", "u1,i2,view,04/04/2025 14:05"])
    with pytest.raises(FormatError, match=r"timestamp_unit=%d/%m/%Y: no time in 'timestamp' .* that layout"):
        import_file(ingest_store, path, format="csv", mapping={"timestamp_unit": "%d/%m/%Y"})
    assert ingest_store.head() == 0 and quarantined(ingest_store) == 0
    some = write_csv(tmp_path / "some.csv", ["u1,i1,view,03/04/2025", "u1,i2,view,04/04/2025 14:05"])
    report = import_file(ingest_store, some, format="csv", mapping={"timestamp_unit": "%d/%m/%Y"})
    assert report.accepted == 1 and report.quarantined_by_reason == {"bad_timestamp": 1}
    with ingest_store.engine.connect() as connection:
        detail = connection.execute(select(quarantine.c.detail)).scalar_one()
    assert detail == "occurred_at: '04/04/2025 14:05' is not a time in the layout %d/%m/%Y given"


def test_a_layout_of_the_date_beside_a_time_of_day_column_that_no_row_fits_is_refused(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A Date column's layout (%d/%m/%Y) given for a file with a Time column beside it: each row's
    date and time of day are read together ('03/04/2025 14:05'), which the layout fits in no row,
    and every row was quarantined; the refusal of such a layout was left out for such files."""
    path = tmp_path / "till.csv"
    path.write_text(
        "customer_id,item_id,event,Date,Time\nc1,i1,view,03/04/2025,14:05\nc2,i1,view,13/04/2025,15:05\n"
    )
    with pytest.raises(FormatError, match=r"timestamp_unit=%d/%m/%Y: no time in 'Date' with its time of day"):
        import_file(ingest_store, path, mapping={"timestamp_unit": "%d/%m/%Y"})
    assert ingest_store.head() == 0 and quarantined(ingest_store) == 0
    report = import_file(ingest_store, path, mapping={"timestamp_unit": "%d/%m/%Y %H:%M"})
    assert (report.accepted, report.quarantined) == (2, 0)


def test_a_file_reads_its_dates_one_way_throughout(ingest_store: Store, tmp_path: Path) -> None:
    """A UK file whose first chunk has no day past the 12th is read day first, as its later
    rows show, not month first there and day first after (the first of March, not January)."""
    rows = [f"u{i},i{i},view,{1 + i % 12:02d}/03/2024 10:00" for i in range(6)]
    rows += [f"u9,i9,view,{day}/03/2024 10:00" for day in (13, 22)]
    path = write_csv(tmp_path / "uk.csv", rows)
    import_file(ingest_store, path, format="csv", chunk_rows=3)
    months = {from_micros(e.occurred_at).month for e in ingest_store.read()}
    assert months == {3}


def test_an_import_says_how_it_read_dates_that_read_both_ways(ingest_store: Store, tmp_path: Path) -> None:
    """A week of a UK shop's sales, 01/04 to 07/04, has no day past the 12th: its dates are read
    month first, as slashes are in the US (January 4 to July 4), and the report said nothing of
    it. It now says how they were read and what reads them the other way."""
    rows = [f"u{day},i1,view,0{day}/04/2025 10:00" for day in range(1, 8)]
    path = write_csv(tmp_path / "week.csv", rows)
    report = import_file(ingest_store, path, format="csv", chunk_rows=3)
    assert report.notes == [
        "Dates such as '01/04/2025' were read month first, as 4 January: no date in the file has a "
        "day past the 12th to tell. If the file writes the day first, give day_first=true (--map "
        "day_first=true on the command line), in every import of such files."
    ]
    dotted = write_csv(tmp_path / "dotted.jsonl", [])
    dotted.write_text('{"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": "03.04.2025"}\n')
    assert "were read day first, as 3 April" in import_file(ingest_store, dotted).notes[0]
    told = [  # a day past the 12th, a layout, day_first or a date year first: nothing to say
        import_file(ingest_store, write_csv(tmp_path / "uk.csv", [*rows, "u9,i1,view,13/04/2025 10:00"])),
        import_file(ingest_store, path, format="csv", mapping={"day_first": True}),
        import_file(ingest_store, path, format="csv", mapping={"timestamp_unit": "%d/%m/%Y %H:%M"}),
        import_file(ingest_store, write_csv(tmp_path / "iso.csv", ["u1,i1,view,2025-04-03 10:00"])),
    ]
    assert [r.notes for r in told] == [[], [], [], []]


def test_dates_that_are_the_same_either_way_have_no_note(ingest_store: Store, tmp_path: Path) -> None:
    """A day's sales on 05/05/2025 read the same day first or month first: the report told the
    shop to give day_first=true in every import of such files, as if the day were in doubt."""
    rows = [f"u{n},i1,view,05/05/2025 1{n}:00" for n in range(1, 4)]
    report = import_file(ingest_store, write_csv(tmp_path / "day.csv", rows), format="csv")
    assert report.notes == [] and report.accepted == 3
    mixed = write_csv(tmp_path / "days.csv", [*rows, "u9,i1,view,06/05/2025 10:00"])
    assert (
        "Dates such as '06/05/2025' were read month first, as 5 June"
        in import_file(ingest_store, mixed).notes[0]
    )


def test_dates_with_month_names_in_the_main_shop_languages_are_read(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Months named in French, German, Spanish, Italian, Dutch or Portuguese quarantined their
    rows as bad_timestamp, where "Jul 30 2017" read: in any case, with or without accents and
    with the words written around a day ("1er", "15.", "de"); English ones read as before."""
    rows = [
        "u1,i1,view,1er mars 2025",
        "u1,i2,view,15. März 2025 14:30",
        "u2,i1,view,3 de mayo de 2025",
        "u2,i2,view,12 MAGGIO 2025",
        "u3,i1,view,1 mei 2025",
        "u3,i2,view,5 de maio de 2025",
        "u4,i1,view,2 févr. 2025",
        "u4,i2,view,2 fevr 2025",
        "u5,i1,view,1 Okt. 2025",
        "u5,i2,view,Jul 30 2017",
        "u6,i1,view,3 days ago",
        # Read as well since: 'abr', and the abbreviations English shares written with 'de'.
        "u7,i1,view,3 abr 2025",
        "u7,i2,view,5 de jun. de 2025",
        "u8,i1,view,12 de mar. de 2025",
        # A zone: one named with one offset is read, one that names several (or none known)
        # refused as in English, where it was dropped without a word.
        "u8,i2,view,20 mars 2025 14:30 CET",
        "u9,i1,view,1 mars 2025 14:30 CST",
        "u9,i2,view,15. März 2025 14:30 MEZ",
    ]
    path = write_csv(tmp_path / "mois.csv", rows)
    report = import_file(ingest_store, path, format="csv")
    assert report.quarantined_by_reason == {"bad_timestamp": 3}
    days = [
        from_micros(e.occurred_at).isoformat()[:16] for e in ingest_store.read() if e.type == "item_viewed"
    ]
    assert sorted(days) == [
        "2017-07-30T00:00",
        "2025-02-02T00:00",
        "2025-02-02T00:00",
        "2025-03-01T00:00",
        "2025-03-12T00:00",
        "2025-03-15T14:30",
        "2025-03-20T13:30",
        "2025-04-03T00:00",
        "2025-05-01T00:00",
        "2025-05-03T00:00",
        "2025-05-05T00:00",
        "2025-05-12T00:00",
        "2025-06-05T00:00",
        "2025-10-01T00:00",
    ]


def test_a_range_of_days_or_a_date_with_no_year_is_no_time(ingest_store: Store, tmp_path: Path) -> None:
    """dateutil finds a place for every number: "3-5 mai 2025" (a range of days) read as
    2003-05-05 20:25, as "3-5 May 2025" did, and "15 March" or "15. März" (no year) in year 1,
    quarantined as too old. Each is a bad_timestamp now, saying why; the dates beside read as
    before."""
    rows = [
        "u1,i1,view,3-5 mai 2025",
        "u1,i2,view,3-5 May 2025",
        "u2,i1,view,10-12 May 2025",
        "u2,i2,view,May 3-5 2025",
        "u3,i1,view,15 March",
        "u3,i2,view,15. März",
        "u4,i1,view,3 mai 2025",
        "u4,i2,view,Jul 30 17",
        "u5,i1,view,mars 2025",
        "u6,i1,view,150625 14:30",  # DDMMYY: read before, and still
        "u6,i2,view,311224 18:00",
        "u7,i1,view,150625-160625",  # a range of days, DDMMYY
    ]
    path = write_csv(tmp_path / "ranges.csv", rows)
    report = import_file(ingest_store, path, format="csv")
    assert report.quarantined_by_reason == {"bad_timestamp": 7}
    with ingest_store.engine.connect() as connection:
        details = sorted(connection.execute(select(quarantine.c.detail)).scalars())
    assert [detail.endswith("(it names no year)") for detail in details].count(True) == 3
    assert [": a range of days" in detail for detail in details].count(True) == 4
    days = sorted(from_micros(e.occurred_at).isoformat()[:16] for e in ingest_store.read())
    assert days == [
        "2017-07-30T00:00",
        "2024-12-31T18:00",
        "2025-03-01T00:00",
        "2025-05-03T00:00",
        "2025-06-15T14:30",
    ]


def test_a_date_and_a_time_of_day_in_two_columns_make_one_time(ingest_store: Store, tmp_path: Path) -> None:
    """A till's export with Date and Time columns: both make the event's time. A time of day
    alone is refused (pandas would give it today's date)."""
    path = write_csv(
        tmp_path / "till.csv",
        ["01.03.2024,10:00,c1,i1,view", "02.03.2024,11:00:30,c2,i2,view"],
        header="Date,Time,Customer,Item,Event",
    )
    import_file(ingest_store, path, format="csv")
    assert [from_micros(e.occurred_at).isoformat() for e in ingest_store.read()] == [
        "2024-03-01T10:00:00+00:00",
        "2024-03-02T11:00:30+00:00",
    ]
    alone = write_csv(tmp_path / "clock.csv", ["c3,i3,view,10:00"], header="user,item,event,time")
    report = import_file(ingest_store, alone, format="csv")
    assert report.quarantined_by_reason == {"bad_timestamp": 1}
    with ingest_store.engine.connect() as connection:
        detail = connection.execute(select(quarantine.c.detail)).scalar_one()
    assert "without a date" in detail


def test_fractions_of_a_second_are_kept_whatever_the_file(ingest_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "fractions.jsonl"
    path.write_text(
        '{"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1709287200.75}\n'
        '{"user_id": "u1", "item_id": "i2", "type": "view", "timestamp": 1709287201}\n'
    )
    import_file(ingest_store, path, format="jsonl")
    assert [e.occurred_at % 1_000_000 for e in ingest_store.read()] == [750_000, 0]


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ({"delimiter": "tab"}, {"delimiter": "\t"}),
        ({"delimiter": "\\t"}, {"delimiter": "\t"}),
        ({"header": "false"}, {"header": False}),
        ({"day_first": "yes"}, {"day_first": True}),
    ],
)
def test_mapping_values_from_the_command_line_mean_what_they_say(
    given: dict[str, str], meant: dict[str, object]
) -> None:
    mapping = ColumnMapping.of(given)
    assert {key: getattr(mapping, key) for key in meant} == meant


@pytest.mark.parametrize(
    ("given", "says"), [({"delimiter": "tabs"}, "one character"), ({"header": "maybe"}, "true or false")]
)
def test_a_mapping_value_that_means_nothing_is_refused(given: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        ColumnMapping.of(given)


def test_a_catalogue_and_its_sales_name_the_same_item_however_written(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Ids padded with spaces (a ', '-separated export), or a whole number stored as a float
    (pandas' id column with a gap, in Parquet or written 202.0 in a CSV file), name the same
    item in a catalogue and in its sales."""
    (tmp_path / "catalogue.csv").write_text("item_id, title, price\nA1, Mug, 5.00\n202.0, Bowl, 4.00\n")
    import_file(ingest_store, tmp_path / "catalogue.csv", format="catalogue")
    pq.write_table(
        pa.table({"item_id": [101.0, None], "title": ["Cup", "Plate"], "price": [6.0, 7.0]}),
        tmp_path / "more.parquet",
    )
    import_file(ingest_store, tmp_path / "more.parquet", format="catalogue")
    (tmp_path / "sales.csv").write_text(
        "user_id, item_id, type, timestamp, price\n"
        "u1, A1, purchase, 2024-03-01T10:00:00Z, 5.00\nu1, 101, purchase, 2024-03-01T10:01:00Z, 6.00\n"
        "u1, 202, purchase, 2024-03-01T10:02:00Z, 4.00\n"
    )
    report = import_file(ingest_store, tmp_path / "sales.csv", format="csv")
    assert (report.accepted, report.quarantined) == (3, 0)
    assert [e.item_id for e in ingest_store.read(types=["purchased"])] == ["A1", "101", "202"]


def test_a_customer_id_written_as_a_float_in_a_csv_is_the_same_customer_as_in_json(
    ingest_store: Store, tmp_path: Path
) -> None:
    """UCI Online Retail saved by pandas writes CustomerID 17850 as 17850.0 (a column with gaps
    is float): the CSV's rows went to customer "17850.0", the JSON line's to "17850"."""
    (tmp_path / "retail.csv").write_text(
        "CustomerID,StockCode,Quantity,InvoiceDate,type\n17850.0,85123A,6,2010-12-01T08:26:00Z,purchase\n"
    )
    (tmp_path / "retail.jsonl").write_text(
        '{"CustomerID": 17850.0, "StockCode": "22633", "Quantity": 6,'
        ' "InvoiceDate": "2010-12-01T08:28:00Z", "type": "purchase"}\n'
    )
    for name in ("retail.csv", "retail.jsonl"):
        assert import_file(ingest_store, tmp_path / name, mapping={"user": "CustomerID"}).accepted == 1
    assert {e.user_id for e in ingest_store.read()} == {"17850"}


def test_a_float_written_id_is_read_as_its_number_in_a_visitor_too_and_only_in_ids(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A session 1042.0 with no customer column was session 1042 of a visitor anonymous@1042.0,
    beside the visitor anonymous@1042 of its rows written 1042; and a search for "7.0" was
    stored as a search for "7", as if the query were an id."""
    path = tmp_path / "web.csv"
    path.write_text(
        "session_id,item_id,event,timestamp,query\n"
        "1042.0,A,view,2024-03-01T10:00:00Z,\n1042,B,view,2024-03-01T10:00:05Z,\n"
        "1042,,search,2024-03-01T10:00:09Z,7.0\n"
    )
    assert import_file(ingest_store, path, format="csv").accepted == 3
    events = ingest_store.read()
    assert {(e.user_id, e.session_id) for e in events} == {("anonymous@1042", "1042")}
    assert events[-1].payload["query"] == "7.0"


def test_a_byte_order_mark_or_a_trailing_delimiter_costs_no_row(ingest_store: Store, tmp_path: Path) -> None:
    lines = tmp_path / "bom.jsonl"
    lines.write_bytes(
        b"\xef\xbb\xbf" + b'{"user_id": "u1", "item_id": "i1", "type": "view", "timestamp": 1600000000}\n'
    )
    assert import_file(ingest_store, lines, format="jsonl").accepted == 1
    header = write_csv(
        tmp_path / "trailing.csv", [f"u2;i2;view;{T}"], header="user_id;item_id;type;timestamp;"
    )
    assert import_file(ingest_store, header, format="csv").accepted == 1


def test_lines_ending_in_carriage_returns_alone_are_read(ingest_store: Store, tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)": every line ends in a carriage return alone, and a line
    break inside a cell is a line feed (which made the file's line ends be taken for text)."""
    path = tmp_path / "mac.csv"
    path.write_bytes(f"user_id,item_id,type,timestamp\ru1,i1,view,{T}\ru2,i2,view,{T}\r".encode())
    report = import_file(ingest_store, path)
    assert (report.rows_read, report.accepted) == (2, 2)
    noted = tmp_path / "noted.csv"
    noted.write_bytes(
        f'user_id,item_id,type,timestamp,notes\ru3,i3,view,{T},"one\ntwo"\ru4,i4,view,{T},\r'.encode()
    )
    assert import_file(ingest_store, noted).accepted == 2
    assert ingest_store.read(user_id="u3")[0].user_id == "u3"


def test_carriage_return_files_are_told_from_their_start_whatever_holds_them(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A first line longer than one read of a zip member, a bzip2 or a plain file (a few KiB)
    hid the line ends: 0 rows read, exit 0; and line feeds inside a cell outnumbering the
    lines turned the handling off."""
    import bz2
    import zipfile

    wide = "user_id,item_id,type,timestamp," + ",".join(f"extra_{n:04d}" for n in range(700))
    rows = "".join(f"\ru{n},i{n},view,{T}" + "," * 700 for n in range(3))
    text = (wide + rows + "\r").encode()
    plain, packed, squeezed = tmp_path / "mac.csv", tmp_path / "mac.csv.zip", tmp_path / "mac.csv.bz2"
    plain.write_bytes(text)
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mac.csv", text)
    squeezed.write_bytes(bz2.compress(text))
    for path in (plain, packed, squeezed):
        report = import_file(ingest_store, path, format="csv")
        assert (report.rows_read, report.accepted + report.duplicates_dropped) == (3, 3), path.name
    notes = tmp_path / "notes.csv"
    notes.write_bytes(f'user_id,item_id,type,timestamp,notes\ru9,i9,view,{T},"a\nb\nc\nd\ne"\r'.encode())
    assert import_file(ingest_store, notes).rows_read == 1


def test_a_file_of_only_a_header_without_the_columns_is_refused(ingest_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "header.csv", [], header="foo,bar")
    with pytest.raises(ValueError, match="no column for the user"):
        import_file(ingest_store, path, format="csv")


@pytest.mark.parametrize("zone", ["UTC+2", "Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused_before_anything_is_read(
    ingest_store: Store, tmp_path: Path, zone: str
) -> None:
    path = write_csv(tmp_path / "t.csv", [f"u1,i1,view,{T}"])
    with pytest.raises(ValueError, match="unknown time zone"):
        import_file(ingest_store, path, format="csv", source_timezone=zone)
    assert ingest_store.head() == 0


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_export_round_trip(ingest_store: Store, tmp_path: Path, kind: str) -> None:
    source = head_of(real_file("taobao-userbehavior", "UserBehavior_head_4k.csv"), tmp_path / "t.csv", 400)
    import_file(ingest_store, source)
    ingest_store.record(ItemDelisted(item_id="2268318"))
    out = tmp_path / f"events.{kind}"
    assert export_events(ingest_store, out, format=kind, real_ids=True) == ingest_store.head()
    assert (
        export_events(ingest_store, tmp_path / f"tail.{kind}", format=kind, since=390)
        == ingest_store.head() - 390
    )
    with edgerec.open(tmp_path / "copy.db") as copy:
        report = import_file(copy, out)
        assert report.format == "events" and report.quarantined == 0
        assert log_rows(copy) == log_rows(ingest_store)
        assert projections(copy) == projections(ingest_store)
        assert import_file(copy, out).appended == 0


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_stores_own_pseudonymous_export_is_refused_back_into_it(
    ingest_store: Store, tmp_path: Path, kind: str
) -> None:
    """Imported back, the default export's events came in again under their pseudonyms (every
    count doubled, and a forget of the customer missed the copies); another store imports it,
    and the store itself imports its backup (--real-ids) as events it holds already."""
    rows = [f"u{n % 7},i{n % 11},{('view', 'cart', 'purchase')[n % 3]},{T + 60 * n}" for n in range(40)]
    import_file(ingest_store, write_csv(tmp_path / "orders.csv", rows), format="csv")
    shared = tmp_path / f"shared.{kind}"
    head = export_events(ingest_store, shared, format=kind)
    before = log_rows(ingest_store)
    with pytest.raises(ValueError, match="own export with pseudonymous ids.*export --real-ids"):
        import_file(ingest_store, shared)
    with pytest.raises(ValueError, match="own export"):  # named as the kind of file it is, too
        import_file(ingest_store, shared, format=kind)
    assert log_rows(ingest_store) == before
    with edgerec.open(tmp_path / "other.db") as other:
        assert import_file(other, shared).appended == head  # its events at the same positions
        export_events(other, tmp_path / f"others.{kind}", format=kind)  # other keeps a secret too
        assert import_file(other, shared).already_present == head
    backup = tmp_path / f"backup.{kind}"
    export_events(ingest_store, backup, format=kind, real_ids=True)
    report = import_file(ingest_store, backup)
    assert (report.appended, report.already_present) == (0, head)
    if kind == "jsonl":  # a position no database integer holds is no position of this store's
        beyond = tmp_path / "beyond.jsonl"
        first = json.loads(shared.read_text().splitlines()[0])
        beyond.write_text(json.dumps(first | {"position": 2**64, "event_id": "p-" + "0" * 16}) + "\n")
        assert import_file(ingest_store, beyond).appended == 1


def test_a_stores_own_export_is_refused_when_its_first_customer_was_forgotten_since(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its first chunk's positions were all gone from the log, so nothing was compared and the
    export came in: the other customers' events twice, the forgotten customer's back."""
    from edgerec.ingest import export
    from edgerec.privacy import forget_user

    monkeypatch.setattr(export, "_OWN_HEAD", 4)  # the file's chunks, as its first 1,000 records
    rows = [f"tester,i{n},view,{T + 60 * n}" for n in range(9)] + [
        f"u1,i{n},view,{T + 900 + n}" for n in range(3)
    ]
    import_file(ingest_store, write_csv(tmp_path / "shop.csv", rows), format="csv")
    own = tmp_path / "own.jsonl"
    export_events(ingest_store, own, format="jsonl")
    forget_user(ingest_store, "tester")
    before = log_rows(ingest_store)
    with pytest.raises(ValueError, match="own export with pseudonymous ids"):
        import_file(ingest_store, own)
    assert log_rows(ingest_store) == before


def test_a_catalogue_that_returns_to_an_earlier_state_is_followed(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A shop imports its catalogue every day: an item sold out and restocked to the same level,
    or a price put back, must change the store each time, and an unchanged file changes nothing."""
    header = "id,title,category,price,stock\n"
    monday = header + "mug,Red Mug,Kitchen,5.00,3\nlamp,Desk Lamp,Lighting,20.00,1\n"
    tuesday = header + "mug,Red Mug,Kitchen,4.50,0\nlamp,Desk Lamp,Lighting,20.00,1\n"
    path = tmp_path / "catalogue.csv"

    def import_day(text: str) -> tuple[int, int]:
        path.write_text(text)
        report = import_file(ingest_store, path)
        return report.appended, report.already_present

    def mug() -> tuple[object, object]:
        with ingest_store.engine.connect() as connection:
            row = connection.execute(
                select(items.c.price, items.c.stock).where(items.c.item_id == "mug")
            ).one()
        return tuple(row)

    assert import_day(monday) == (2, 0) and mug() == (5.0, 3)
    assert import_day(tuesday) == (1, 1) and mug() == (4.5, 0)
    assert import_day(monday) == (1, 1) and mug() == (5.0, 3)  # restocked, price back
    assert import_day(monday) == (0, 2)
    assert import_day(tuesday) == (1, 1) and mug() == (4.5, 0)
    incremental = projections(ingest_store)
    ingest_store.rebuild()
    assert projections(ingest_store) == incremental


def test_a_file_without_a_fields_column_leaves_that_field_of_a_listed_item_as_it_was(
    ingest_store: Store, tmp_path: Path
) -> None:
    """A price list (id, title, price, currency) imported over the catalogue changes the prices:
    it relisted every item without its category, brand, stock, description and the attributes
    it has no column for, so a sold-out item was suggested again and a category rule matched
    nothing. A blank cell in a column the file has still clears the field, a field mapped to none
    (price=none) is not kept either, and a new item is listed with what the file gives."""
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "id,title,category,brand,price,stock,description,colour,size\n"
        "mug,Red Mug,Kitchen,Acme,5.00,0,Stoneware,red,L\n"
        "kite,Kite,Toys,Skyco,9.00,4,Nylon,blue,\n"
    )
    prices = tmp_path / "prices.csv"
    prices.write_text(
        "id,title,price,currency,size\nmug,Red Mug,4.50,EUR,\nkite,Kite,,EUR,M\nnew,New Cup,3.00,,\n"
    )
    import_file(ingest_store, catalogue)
    report = import_file(ingest_store, prices)
    assert (report.appended, report.quarantined) == (3, 0)
    columns = ("title", "category", "brand", "price", "stock", "description", "attributes")
    with ingest_store.engine.connect() as connection:
        rows = {
            row[0]: tuple(row[1:])
            for row in connection.execute(select(items.c.item_id, *(items.c[name] for name in columns)))
        }
    assert rows["mug"] == (
        "Red Mug",
        "Kitchen",
        "Acme",
        4.5,
        0,
        "Stoneware",
        {"colour": "red", "currency": "EUR"},
    )
    assert rows["kite"] == (
        "Kite", "Toys", "Skyco", None, 4, "Nylon", {"colour": "blue", "currency": "EUR", "size": "M"}
    )  # fmt: skip
    assert rows["new"] == ("New Cup", None, None, 3.0, None, None, {})
    assert import_file(ingest_store, prices).appended == 0
    incremental = projections(ingest_store)
    ingest_store.rebuild()
    assert projections(ingest_store) == incremental
    prices.write_text("id,price\nmug,$4 - $6\n")
    import_file(ingest_store, prices, mapping={"price": "none"})
    with ingest_store.engine.connect() as connection:
        price = connection.execute(select(items.c.price).where(items.c.item_id == "mug")).scalar_one()
    assert price is None  # the file's price is not read: the old one does not stand for it


@pytest.mark.parametrize("layout", ["jsonl", "json"])
def test_an_objects_missing_key_leaves_that_field_as_it_was_where_a_null_clears_it(
    ingest_store: Store, tmp_path: Path, layout: str
) -> None:
    """A JSON catalogue whose objects name only the keys they change ({"id", "price"} beside
    {"id", "price", "stock"}) relisted an item whose object lacked the stock, or an attribute,
    without it: each key an object lacks was read as an empty cell. It is kept, as a CSV without
    that column keeps it; a null still clears it, as an empty cell does, and a price read from
    a sale price is the object's own."""

    def write(objects: list[dict[str, object]]) -> Path:
        path = tmp_path / f"catalogue.{layout}"
        if layout == "json":
            path.write_text(json.dumps(objects))
        else:
            path.write_text("".join(json.dumps(obj) + "\n" for obj in objects))
        return path

    def listed() -> dict[str, tuple[object, ...]]:
        columns = (items.c.item_id, items.c.title, items.c.price, items.c.stock, items.c.attributes)
        with ingest_store.engine.connect() as connection:
            return {row[0]: tuple(row[1:]) for row in connection.execute(select(*columns))}

    import_file(
        ingest_store,
        write(
            [
                {"id": "mug", "title": "Red Mug", "price": 5.0, "stock": 3, "colour": "red"},
                {"id": "kite", "title": "Kite", "price": 9.0, "stock": 4, "colour": "blue"},
                {"id": "lamp", "title": "Lamp", "price": 20.0, "stock": 2, "colour": "white"},
            ]
        ),
    )
    changes = write(
        [
            {"id": "mug", "price": 4.5, "stock": 0},
            {"id": "kite", "price": 8.0, "colour": "green"},
            {"id": "lamp", "title": None, "stock": None, "sale_price": 15.0},
        ]
    )
    assert import_file(ingest_store, changes).appended == 3
    assert listed() == {
        "mug": ("Red Mug", 4.5, 0, {"colour": "red"}),
        "kite": ("Kite", 8.0, 4, {"colour": "green"}),
        "lamp": ("", 15.0, None, {"colour": "white", "sale_price": "15"}),
    }
    assert import_file(ingest_store, changes).appended == 0
    import_file(ingest_store, write([{"id": "mug", "price": 4.0}]))  # no object has the key
    assert listed()["mug"] == ("Red Mug", 4.0, 0, {"colour": "red"})


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_backup_restores_events_that_cleaning_would_drop(
    ingest_store: Store, tmp_path: Path, kind: str
) -> None:
    """A double click, purchases of unlisted or delisted items and a catalogue's return to an
    earlier state are part of the log: restoring its export brings every one of them back."""
    catalogue = tmp_path / "catalogue.csv"
    for stock in (3, 0, 3):  # listings with no time of their own, one of them a return
        catalogue.write_text(f"id,title,stock\nmug,Mug,{stock}\n")
        import_file(ingest_store, catalogue)
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    ingest_store.record(ItemListed(item_id="lamp", title="Lamp", occurred_at=at))
    ingest_store.record(ItemDelisted(item_id="lamp", occurred_at=at + timedelta(seconds=1)))
    ingest_store.record(Purchased(user_id="u1", item_id="lamp", occurred_at=at + timedelta(seconds=2)))
    ingest_store.record(
        Purchased(user_id="u1", item_id="never-listed", occurred_at=at + timedelta(seconds=3))
    )
    for _ in range(2):
        ingest_store.record(ItemViewed(user_id="u1", item_id="lamp", occurred_at=at + timedelta(seconds=4)))
    out = tmp_path / f"backup.{kind}"
    export_events(ingest_store, out, format=kind, real_ids=True)
    with edgerec.open(tmp_path / "restored.db") as restored:
        report = import_file(restored, out, chunk_rows=2)
        assert (report.appended, report.quarantined) == (9, 0)
        assert log_rows(restored) == log_rows(ingest_store)
        assert projections(restored) == projections(ingest_store)


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_backup_named_by_the_kind_of_file_it_is_is_restored_as_logged(
    ingest_store: Store, tmp_path: Path, kind: str
) -> None:
    """`export --format jsonl` writes a backup; imported with `--format jsonl`, the same word, it
    was read as a file of interactions and reported a success: the listing lost its title, price
    and stock, the quantities and the price paid their values, the events their kiosk and ids,
    and the rating was quarantined."""
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    kiosk = Context(store_id="kiosk-1", location="Berlin", device="tablet")
    ingest_store.record_many(
        [
            ItemListed(item_id="SKU1", title="Wool socks", price=9.5, stock=4, occurred_at=at),
            AddedToCart(user_id="C1", item_id="SKU1", quantity=3, context=kiosk, occurred_at=at),
            Purchased(
                user_id="C1", item_id="SKU1", quantity=3, price_paid=28.5, context=kiosk, occurred_at=at
            ),
            Rated(user_id="C1", item_id="SKU1", value=5, occurred_at=at + timedelta(seconds=1)),
        ]
    )
    out = tmp_path / f"backup.{kind}"
    export_events(ingest_store, out, format=kind, real_ids=True)
    with edgerec.open(tmp_path / "restored.db") as restored:
        report = import_file(restored, out, format=kind)
        assert (report.format, report.appended, report.quarantined) == ("events", 4, 0)
        assert log_rows(restored) == log_rows(ingest_store)
        assert projections(restored) == projections(ingest_store)


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_an_export_read_as_interactions_keeps_the_catalogue_it_lists(
    ingest_store: Store, tmp_path: Path, kind: str
) -> None:
    """edgerec's export imported with --map of event fields (read as interactions): its listings
    were taken, their payloads unread, and every item was listed again with an empty title and
    no price or stock. They are quarantined; its delisting and interactions are read."""
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    ingest_store.record_many(
        [
            ItemListed(item_id="SKU1", title="Wool socks", price=9.5, stock=4, occurred_at=at),
            ItemListed(item_id="SKU2", title="Cap", price=5.0, occurred_at=at),
            ItemViewed(user_id="C1", item_id="SKU1", occurred_at=at + timedelta(seconds=1)),
            ItemDelisted(item_id="SKU2", occurred_at=at + timedelta(seconds=2)),
        ]
    )
    out = tmp_path / f"backup.{kind}"
    export_events(ingest_store, out, format=kind, real_ids=True)
    with edgerec.open(tmp_path / "other.db") as other:
        other.record(ItemListed(item_id="SKU1", title="Wool socks", price=9.5, stock=4, occurred_at=at))
        report = import_file(other, out, format=kind, mapping={"user": "user_id"})
        assert (report.accepted, report.quarantined) == (2, 2)
        assert report.quarantined_by_reason == {"catalogue_row": 2}
        read = [(e.type, e.item_id) for e in other.read()][1:]
        assert read == [("item_viewed", "SKU1"), ("item_delisted", "SKU2")]
        with other.engine.connect() as connection:
            socks = select(items.c.title, items.c.price, items.c.stock).where(items.c.item_id == "SKU1")
            listed = connection.execute(socks).one()
            details = connection.execute(select(quarantine.c.detail)).scalars().all()
        assert tuple(listed) == ("Wool socks", 9.5, 4)
        assert len(details) == 2 and all("--format catalogue" in detail for detail in details)


@pytest.mark.parametrize("named", [None, "jsonl"])
def test_a_shop_log_named_as_the_export_names_its_fields_is_read_as_interactions(
    ingest_store: Store, tmp_path: Path, named: str | None
) -> None:
    """A shop's own event log may name its fields event_id, type, occurred_at and payload, with
    times in text and types of its own: taken for edgerec's export by those names alone, every
    row was refused ("occurred_at: must be integer microseconds")."""
    rows = [
        {"event_id": "7f1c2a", "type": "view", "occurred_at": "2024-03-01T10:00:00Z", "user_id": "c1",
         "item_id": "SKU1", "payload": {"price": 3.5}},
        {"event_id": "7f1c2b", "type": "purchase", "occurred_at": "2024-03-01T10:05:00Z", "user_id": "c1",
         "item_id": "SKU1", "payload": {"quantity": 2}},
    ]  # fmt: skip
    path = tmp_path / "outbox.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = import_file(ingest_store, path, format=named)
    assert (report.format, report.appended, report.quarantined) == ("jsonl", 2, 0)
    bought = ingest_store.read(types=["purchased"])[0].to_event()
    assert bought.quantity == 2  # from its "payload" object, as from a "properties" one: it was 1
    # edgerec's own type names, and times as whole seconds: still no export's microseconds
    seconds = [{**row, "type": kind, "occurred_at": 1709287200 + i} for i, (row, kind) in
               enumerate(zip(rows, ["item_viewed", "purchased"], strict=True))]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in seconds))
    report = import_file(ingest_store, path, format=named)
    assert (report.format, report.accepted, report.quarantined) == ("jsonl", 2, 0)
    nanoseconds = [{**row, "occurred_at": row["occurred_at"] * 10**9} for row in seconds]  # Go, pandas
    path.write_text("".join(json.dumps(row) + "\n" for row in nanoseconds))
    report = import_file(ingest_store, path, format=named)
    assert (report.format, report.accepted, report.quarantined) == ("jsonl", 2, 0)


@pytest.mark.parametrize("nested", ["payload", "properties"])
def test_a_parquet_logs_payload_written_as_json_text_is_read_as_a_json_lines_object(
    ingest_store: Store, tmp_path: Path, nested: str
) -> None:
    """A shop log in Parquet keeps each event's `payload` (or `properties`) as a column of JSON
    text: its fields were not read, as a JSON line's object's are, so a purchase of 2 was stored
    as 1 and its price lost. Text that is no JSON object is left as it is."""
    rows = [
        {"event_id": "7f1c2a", "type": "view", "occurred_at": "2024-03-01T10:00:00Z", "user_id": "c1",
         "item_id": "SKU1", nested: '{"page": "home"}'},
        {"event_id": "7f1c2b", "type": "purchase", "occurred_at": "2024-03-01T10:05:00Z", "user_id": "c1",
         "item_id": "SKU1", nested: '{"quantity": 2, "price_paid": 7.0}'},
        {"event_id": "7f1c2c", "type": "purchase", "occurred_at": "2024-03-01T10:06:00Z", "user_id": "c2",
         "item_id": "SKU1", nested: "{gift wrapped}"},
    ]  # fmt: skip
    path = tmp_path / "outbox.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    report = import_file(ingest_store, path)
    assert (report.format, report.appended, report.quarantined) == ("parquet", 3, 0)
    bought = [event.to_event() for event in ingest_store.read(types=["purchased"])]
    assert [(e.user_id, e.quantity, e.price_paid) for e in bought] == [("c1", 2, 7.0), ("c2", 1, None)]


def test_a_backup_restores_every_event_but_numbers_them_afresh(ingest_store: Store, tmp_path: Path) -> None:
    """A forgotten customer's events leave gaps in the positions; a restore keeps each event's id,
    time, payload and session, and their order, and numbers them from 1 without gaps. The README
    said the log came back as it was."""
    from edgerec.privacy import forget_user

    at = datetime(2025, 1, 1, tzinfo=UTC)
    for i, user in enumerate(["ann", "gone", "gone", "ben"]):
        ingest_store.record(ItemViewed(user_id=user, item_id=f"I{i}", occurred_at=at + timedelta(minutes=i)))
    forget_user(ingest_store, "gone")
    out = tmp_path / "backup.jsonl"
    export_events(ingest_store, out, real_ids=True)
    with edgerec.open(tmp_path / "restored.db") as restored:
        import_file(restored, out)
        assert log_rows(restored) == log_rows(ingest_store)
        assert [e.position for e in ingest_store.read()] == [1, 4]
        assert [e.position for e in restored.read()] == [1, 2]


def test_a_backup_restores_the_events_a_fast_clock_dated_ahead(
    ingest_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kiosk's clock ran three days fast: its events were accepted then, by its own clock.
    Once the clock was right, restoring its backup quarantined them as timestamp_in_future."""
    import edgerec.domain.events as domain_events

    ahead = timedelta(days=3)
    clock = domain_events.latest_allowed
    monkeypatch.setattr(domain_events, "latest_allowed", lambda now=None: clock(now) + ahead)
    for n in range(3):
        ingest_store.record(ItemViewed(user_id="v", item_id=f"I{n}", occurred_at=datetime.now(UTC) + ahead))
    monkeypatch.setattr(domain_events, "latest_allowed", clock)
    out = tmp_path / "backup.jsonl"
    export_events(ingest_store, out, real_ids=True)
    with edgerec.open(tmp_path / "restored.db") as restored:
        report = import_file(restored, out)
        assert (report.appended, report.quarantined) == (3, 0)
        assert log_rows(restored) == log_rows(ingest_store)
    # A time past what a date can name (a damaged backup) is refused: read back, it broke every list.
    lines = out.read_text().splitlines()
    damaged = json.loads(lines[0])
    for micros in (4 * 10**18, 253_402_300_799_999_999):  # the year 128,724; the last instant of 9999
        damaged["occurred_at"] = micros
        out.write_text("\n".join([json.dumps(damaged), *lines[1:]]) + "\n")
        with edgerec.open(tmp_path / f"damaged{micros}.db") as restored:
            assert import_file(restored, out).quarantined_by_reason == {"timestamp_in_future": 1}
            assert len(restored.read()) == 2


@pytest.mark.parametrize("window", [float("inf"), float("nan"), -1.0, 86_401.0])
def test_a_dedupe_window_out_of_range_is_refused_before_anything_is_read(
    ingest_store: Store, tmp_path: Path, window: float
) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text("user_id,item_id,type,timestamp\nu1,i1,view,1700000000\n")
    with pytest.raises(ValueError, match="dedupe window"):
        import_file(ingest_store, path, dedupe_window_s=window)
    assert ingest_store.head() == 0


def test_a_catalogue_naming_an_item_twice_lists_its_last_row_once(
    ingest_store: Store, tmp_path: Path
) -> None:
    """An item on two rows of one file: each row was compared with the listing the other one
    left, so every import of the unchanged file appended both again."""
    path = tmp_path / "catalogue.csv"
    path.write_text("sku,title,price\nA1,Mug,5.00\nB1,Lamp,20.00\nA1,Mug,6.00\n")
    first = import_file(ingest_store, path)
    assert (first.appended, first.quarantined_by_reason) == (2, {"duplicate_item_row": 1})
    for _ in range(2):
        again = import_file(ingest_store, path)
        assert (again.appended, again.already_present) == (0, 2)
    with ingest_store.engine.connect() as connection:
        assert connection.execute(select(items.c.price).where(items.c.item_id == "A1")).scalar_one() == 6.0


def test_a_whole_catalogue_delists_the_items_it_no_longer_names(ingest_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("id,title,price,stock\nmug,Mug,5.00,3\nlamp,Lamp,20.00,1\nvase,Vase,9.00,2\n")
    import_file(ingest_store, path)
    # Tomorrow's file: no vase; the lamp's row is bad, but it is still named, so it stays.
    path.write_text("id,title,price,stock\nmug,Mug,5.00,3\nlamp,Lamp,twenty,1\n")
    report = import_file(ingest_store, path, delist_missing=True)
    assert (report.delisted, report.quarantined) == (1, 1)

    def status() -> dict[str, str]:
        with ingest_store.engine.connect() as connection:
            return dict(connection.execute(select(items.c.item_id, items.c.status)).all())

    assert status() == {"mug": "listed", "lamp": "listed", "vase": "delisted"}
    assert import_file(ingest_store, path, delist_missing=True).delisted == 0  # done already
    path.write_text("id,title,price,stock\nmug,Mug,5.00,3\nvase,Vase,9.00,2\n")  # the vase is back
    assert import_file(ingest_store, path).appended == 1 and status()["vase"] == "listed"
    path.write_text("id,title,price,stock\nmug,Mug,not a price,3\n")  # nothing good read: nothing delisted
    assert import_file(ingest_store, path, delist_missing=True).delisted == 0
    with pytest.raises(ValueError, match="needs a catalogue file"):
        import_file(
            ingest_store, write_csv(tmp_path / "views.csv", [f"u1,mug,view,{T}"]), delist_missing=True
        )


def test_a_typed_cell_that_is_no_whole_number_or_no_price_is_refused() -> None:
    """A Parquet decimal 2.5 is no quantity (it was cut to 2), and JSON's true is neither a
    quantity nor a price (it was 1)."""
    from decimal import Decimal

    quantities, problems = convert.ints([Decimal("2.5"), Decimal("2.0"), True, "3"], "quantity")
    assert quantities == [None, 2, None, 3]
    assert [p is None for p in problems] == [False, True, False, True]
    prices, problems = convert.prices([True, 2.5], "price")
    assert prices == [None, 2.5] and problems[0] is not None


@pytest.mark.parametrize(
    ("written", "meant"), [("20240301", "2024-03-01T00:00"), ("20240301101500", "2024-03-01T10:15")]
)
def test_dates_written_as_one_number_are_read_as_dates(
    ingest_store: Store, tmp_path: Path, written: str, meant: str
) -> None:
    """20240301 is no epoch time in any unit edgerec accepts: it is a date (it was refused as
    before 1990, or as in the future)."""
    import_file(ingest_store, write_csv(tmp_path / "compact.csv", [f"u1,i1,view,{written}"]), format="csv")
    assert from_micros(ingest_store.read()[0].occurred_at).isoformat()[:16] == meant


def test_a_file_without_a_header_line_is_read_by_position_with_the_same_rules(
    ingest_store: Store, tmp_path: Path
) -> None:
    """Amazon's ratings_Beauty.csv (user,item,rating,time, no header): a rating column named by
    position makes each row a rating, as a header's would."""
    path = tmp_path / "ratings_Beauty.csv"
    path.write_text("A39HTATAQ9V7YF,0205616461,5.0,1369699200\nA3JM6GV9MNOF9X,0558925278,3.0,1355443200\n")
    mapping = {"header": "false", "user": "0", "item": "1", "value": "2", "timestamp": "3"}
    report = import_file(ingest_store, path, format="csv", mapping=mapping)
    assert (report.accepted, report.quarantined) == (2, 0)
    assert [(e.type, e.payload) for e in ingest_store.read()] == [
        ("rated", {"value": 5.0}),
        ("rated", {"value": 3.0}),
    ]
    # No column for the type, nor a rating to make each row one: refused up front, as a file
    # with a header line is (every row was quarantined as missing_type)
    del mapping["value"]
    with pytest.raises(FormatError, match=r"no column for the type\. With header=false.*default_type="):
        import_file(ingest_store, path, format="csv", mapping=mapping)
    assert ingest_store.head() == 2 and quarantined(ingest_store) == 0


def test_a_file_out_of_time_order_gets_the_sessions_of_a_sorted_one(
    ingest_store: Store, tmp_path: Path
) -> None:
    """RetailRocket's events.csv is not sorted by time: one visitor at 05:00, 09:00, 05:10 and
    09:05 made three sessions instead of two. The log keeps the file's order."""
    minutes = [0, 240, 10, 245]
    path = write_csv(tmp_path / "unsorted.csv", [f"v1,i{m},view,{T + 60 * m}" for m in minutes])
    report = import_file(ingest_store, path, format="csv")
    assert report.sessions == 2
    events = ingest_store.read()
    assert [e.item_id for e in events] == ["i0", "i240", "i10", "i245"]
    sessions = {e.item_id: e.session_id for e in events}
    assert sessions["i0"] == sessions["i10"] != sessions["i240"] == sessions["i245"]


def test_a_time_column_that_holds_the_whole_time_is_read_alone(ingest_store: Store, tmp_path: Path) -> None:
    """Date and Time columns make one time only where Time is a time of day (joined, the date
    twice read '-01' as an offset: every event an hour late)."""
    path = write_csv(
        tmp_path / "both.csv",
        ["u1,i1,view,2024-03-01,2024-03-01 10:00:00"],
        header="user,item,event,date,time",
    )
    import_file(ingest_store, path, format="csv")
    assert from_micros(ingest_store.read()[0].occurred_at).isoformat() == "2024-03-01T10:00:00+00:00"


def test_dates_written_as_one_number_beside_an_empty_cell(ingest_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gap.csv", ["u1,i1,view,20240301", "u1,i2,view,", "u2,i3,view,20240302"])
    report = import_file(ingest_store, path, format="csv")
    assert report.quarantined_by_reason == {"missing_occurred_at": 1}
    assert [from_micros(e.occurred_at).date().isoformat() for e in ingest_store.read()] == [
        "2024-03-01",
        "2024-03-02",
    ]


def test_excels_sep_line_is_named_in_the_refusal(ingest_store: Store, tmp_path: Path) -> None:
    """The refusal listed the columns ['sep='] and suggested mapping them."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"sep=;\r\nuser_id;item_id;type;timestamp\r\nu1;i1;view;1600000000\r\n")
    with pytest.raises(ValueError, match="the first line is Excel's `sep=` line.*delete that line"):
        import_file(ingest_store, path, format="csv")
